/**
 * The idempotency plugin's options and contract: `enabled: false`, the 400s'
 * details, its name and Fastify range, and that a key is free again in this
 * process once its first request has answered.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import Fastify from 'fastify';
import fp from 'fastify-plugin';
import { migrate } from '../postgres/index.ts';
import { coreProblems, createProblemRegistry, problems } from '../problems/index.ts';
import { createTestDatabase, eventually, type TestDatabase } from '../testing/index.ts';
import { idempotencyMigrations } from './migrations.ts';
import { idempotency } from './plugin.ts';
import { idempotencyProblems } from './problems.ts';

describe('the idempotency plugin', () => {
  let db: TestDatabase;
  before(async () => {
    db = await createTestDatabase({ template: 'template0' });
    await migrate(db.pool, [...idempotencyMigrations]);
  });
  after(() => db?.close());

  /** an app whose keyed route answers what the plugin attached; `hold` keeps a request in its handler */
  async function appWith(t: { after(fn: () => unknown): void }, enabled?: boolean) {
    const app = Fastify();
    t.after(() => app.close());
    await app.register(problems, { registry: createProblemRegistry(coreProblems, idempotencyProblems) });
    await app.register(idempotency, { db: db.pool, tenantOf: () => 'acme', enabled, inFlightWaitMs: 60_000 });
    /** what happened, in order: a request past the plugin's hook (`passed <label>`), a handler done (`answered <label>`) */
    const events: string[] = [];
    const gates = new Map<string, () => void>();
    app.addHook('preValidation', async (request) => {
      events.push(`passed ${request.headers['x-label']}`);
    });
    app.post<{ Params: { id: string } }>('/notes/:id', { config: { idempotency: true } }, async (request) => {
      const label = String(request.headers['x-label']);
      if (request.headers['x-hold']) await new Promise<void>((resolve) => gates.set(label, resolve));
      events.push(`answered ${label}`);
      return { idempotency: request.idempotency === undefined ? 'none' : request.idempotency.scope };
    });
    await app.ready();
    const post = (label: string, headers: Record<string, string> = {}) =>
      app.inject({ method: 'POST', url: '/notes/n1', headers: { 'x-label': label, ...headers } });
    return { app, post, events, gates };
  }

  test('the missing and malformed key answers say what to send', async (t) => {
    const { post } = await appWith(t);
    const missing = await post('m');
    assert.equal(missing.statusCode, 400);
    assert.equal(missing.json().type, '/problems/idempotency-key-missing');
    assert.equal(
      missing.json().detail,
      'Send an Idempotency-Key header (e.g. a UUID) with every POST; reuse it when you retry.',
    );
    const quoted = await post('q', { 'idempotency-key': '"a"b"' });
    assert.equal(quoted.statusCode, 400);
    assert.equal(quoted.json().type, '/problems/idempotency-key-invalid');
    assert.equal(
      quoted.json().detail,
      'the quoted key has characters a structured-field string does not allow',
    );
    const spaced = await post('s', { 'idempotency-key': 'two words' });
    assert.equal(
      spaced.json().detail,
      'the key must be 1-255 visible ASCII characters, bare or as a quoted string',
    );
    const ok = await post('ok', { 'idempotency-key': '"k 1"' });
    assert.equal(ok.statusCode, 200);
    assert.deepEqual(ok.json(), {
      idempotency: { tenantId: 'acme', method: 'POST', route: '/notes/:id', key: 'k 1' },
    });
  });

  test('enabled: false ignores the header; request.idempotency is still declared, and left undefined', async (t) => {
    const { app, post } = await appWith(t, false);
    assert.equal(app.hasRequestDecorator('idempotency'), true);
    const without = await post('a');
    assert.equal(without.statusCode, 200);
    assert.deepEqual(without.json(), { idempotency: 'none' });
    const malformed = await post('b', { 'idempotency-key': 'two words' });
    assert.deepEqual([malformed.statusCode, malformed.json()], [200, { idempotency: 'none' }]);
    const enabled = await appWith(t, true);
    assert.equal(enabled.app.hasRequestDecorator('idempotency'), true);
    assert.equal((await enabled.post('c')).statusCode, 400);
  });

  test('it is the plugin "steadfast-idempotency", for Fastify 5', async (t) => {
    const { app } = await appWith(t);
    assert.equal(app.hasPlugin('steadfast-idempotency'), true);
    assert.deepEqual((idempotency as unknown as Record<symbol, unknown>)[Symbol.for('plugin-meta')], {
      name: 'steadfast-idempotency',
      fastify: '5.x',
    });
    // a plugin that depends on it by name registers after it
    const other = Fastify();
    t.after(() => other.close());
    await other.register(idempotency, { db: db.pool, tenantOf: () => 'acme' });
    await other.register(
      fp(async () => {}, { name: 'needs-idempotency', dependencies: ['steadfast-idempotency'] }),
    );
    await other.ready();
  });

  test('once a key’s first request has answered, the next request of that key holds its own duplicates', async (t) => {
    const { post, events, gates } = await appWith(t);
    const key = { 'idempotency-key': 'k-again' };
    assert.equal((await post('first', key)).statusCode, 200);
    events.length = 0;
    // the key's next request is the one in flight now: a duplicate of it waits until it answers
    const second = post('second', { ...key, 'x-hold': '1' });
    await eventually(() => gates.has('second'));
    const duplicate = post('duplicate', key);
    // a request of another key goes by; only then is the held one let go
    assert.equal((await post('other', { 'idempotency-key': 'k-other' })).statusCode, 200);
    gates.get('second')?.();
    assert.deepEqual([(await second).statusCode, (await duplicate).statusCode], [200, 200]);
    assert.deepEqual(events, [
      'passed second',
      'passed other',
      'answered other',
      'answered second',
      'passed duplicate',
      'answered duplicate',
    ]);
  });
});
