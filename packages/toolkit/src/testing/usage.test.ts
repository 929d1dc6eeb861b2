/** @steadfast/toolkit/testing: a real database per test file, a fake clock, captured logs and OpenAPI contract checks. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createLogger } from '@steadfast/toolkit/observability';
import {
  createContractChecker,
  createFakeClock,
  createLogCapture,
  createTestDatabase,
  eventually,
  type TestDatabase,
} from '@steadfast/toolkit/testing';
import Fastify from 'fastify';

let db: TestDatabase;
before(async () => {
  db = await createTestDatabase({ template: 'template0' });
});
after(() => db.close());

describe('testing', () => {
  test('each test file gets its own database, cloned in milliseconds and dropped after', async () => {
    // docs:start database
    const mine = await createTestDatabase({ template: 'template0' }); // or the migrated template: createTestDatabase()
    try {
      await mine.pool.query('CREATE TABLE notes (body text)');
      await mine.pool.query(`INSERT INTO notes VALUES ('only here')`);
      const { rows } = await mine.pool.query('SELECT body FROM notes');
      assert.deepEqual(rows, [{ body: 'only here' }]);
    } finally {
      await mine.close(); // drops the database
    }
    // docs:end database
    const { rows } = await db.pool.query(`SELECT to_regclass('notes') AS t`);
    assert.equal(rows[0].t, null, 'another database never sees it');
  });

  test('a fake clock moves only when told', () => {
    const clock = createFakeClock(Date.UTC(2026, 0, 1));
    assert.equal(clock.now(), Date.UTC(2026, 0, 1));
    clock.advance(1500);
    assert.equal(clock.now(), Date.UTC(2026, 0, 1) + 1500);
  });

  test('captured logs can be asserted on, and secrets are redacted', () => {
    const logs = createLogCapture();
    const log = createLogger({ destination: logs.stream });
    log.info({ apiKey: 'sf_secret', orderCount: 2 }, 'hello');
    assert.equal(logs.lines()[0].msg, 'hello');
    assert.equal(logs.lines()[0].apiKey, '[redacted]');
    assert.doesNotMatch(logs.text(), /sf_secret/);
  });

  test('eventually polls until the condition holds, or fails with the message', async () => {
    let n = 0;
    assert.equal(await eventually(() => (++n >= 3 ? n : undefined), { intervalMs: 1 }), 3);
    await assert.rejects(
      eventually(() => false, { timeoutMs: 20, intervalMs: 5, message: 'never' }),
      /never/,
    );
  });

  test('the contract checker reports responses the OpenAPI document does not allow', async () => {
    // docs:start contract
    const app = Fastify();
    app.get('/widgets/:id', async (request, reply) =>
      (request.params as { id: string }).id === 'w1'
        ? { id: 'w1', name: 'Widget' }
        : reply.code(404).send('gone'),
    );
    const doc = {
      openapi: '3.1.0',
      info: { title: 'widgets', version: '1' },
      paths: {
        '/widgets/{id}': {
          get: {
            responses: {
              '200': {
                description: 'a widget',
                content: {
                  'application/json': {
                    schema: {
                      type: 'object',
                      required: ['id', 'name'],
                      properties: { id: { type: 'string' }, name: { type: 'string' } },
                    },
                  },
                },
              },
            },
          },
        },
      },
    };
    const checker = await createContractChecker(doc);
    const check = async (url: string) => {
      const response = await app.inject({ method: 'GET', url });
      return checker.check({
        method: 'GET',
        path: url,
        status: response.statusCode,
        contentType: response.headers['content-type'] as string | undefined,
        body: response.body,
      });
    };
    assert.deepEqual(await check('/widgets/w1'), []);
    assert.equal((await check('/widgets/nope')).length, 1); // a 404 the document does not list
    // docs:end contract
    await app.close();
  });
});
