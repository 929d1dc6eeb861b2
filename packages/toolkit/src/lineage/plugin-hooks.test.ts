/** The plugin against a recorder stub: which errors are conflicts, a request stopped before its handler, include, refs, the plugin's name. */
import assert from 'node:assert/strict';
import { describe, type TestContext, test } from 'node:test';
import { setImmediate as turn } from 'node:timers/promises';
import Fastify, { type FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { createLogger } from '../observability/index.ts';
import { ProblemError } from '../problems/index.ts';
import { createLogCapture } from '../testing/index.ts';
import { addLineageRefs, type LineagePluginOptions, lineagePlugin } from './plugin.ts';
import type { LineageRecorder, LineageRequest } from './recorder.ts';

/** a Fastify app with the plugin and a recorder that only keeps the rows it is given */
async function appWith(t: TestContext, options: Partial<LineagePluginOptions> = {}) {
  const rows: LineageRequest[] = [];
  const recorder = {
    recordRequest: (row: LineageRequest) => void rows.push(row),
  } as unknown as LineageRecorder;
  const logs = createLogCapture();
  const app = Fastify({ loggerInstance: createLogger({ destination: logs.stream }) });
  t.after(() => app.close());
  await app.register(lineagePlugin, { recorder, tenantOf: () => 'acme', ...options });
  app.post('/throws/:what', async (request) => {
    const { what } = request.params as { what: string };
    if (what === 'error') throw new Error('boom');
    throw new ProblemError(what);
  });
  app.post(
    '/typed',
    { schema: { body: { type: 'object', required: ['n'], properties: { n: { type: 'integer' } } } } },
    async () => ({ ok: true }),
  );
  app.get('/plain', async () => ({ ok: true }));
  await app.ready();
  /** the rows recorded once the responses' onResponse hooks have run */
  const recorded = async () => {
    await turn();
    return rows;
  };
  /** what went wrong, as logged (a throwing hook is logged, not answered) */
  const failures = () => logs.lines().filter((line) => Number(line.level) >= 50);
  return { app, recorded, failures };
}

const withKey = (key: string) => ({ 'idempotency-key': key, 'content-type': 'application/json' });

describe('lineage plugin hooks', () => {
  test('only the key-conflict problems (409, 422) make a keyed request a conflict; other errors leave it executed', async (t) => {
    const { app, recorded } = await appWith(t);
    for (const what of [
      'error', // not a problem at all
      'not-found', // a problem, not an idempotency one
      'idempotency-key-missing', // an idempotency problem, 400: not a conflict
      'idempotency-key-invalid',
      'idempotency-key-reused', // 422
      'idempotency-request-in-flight', // 409
    ])
      await app.inject({
        method: 'POST',
        url: `/throws/${what}`,
        headers: withKey(`key-${what}`),
        payload: '{}',
      });
    assert.deepEqual(
      (await recorded()).map((r) => [r.idempotencyKey, r.idempotencyOutcome]),
      [
        ['key-error', 'executed'],
        ['key-not-found', 'executed'],
        ['key-idempotency-key-missing', 'executed'],
        ['key-idempotency-key-invalid', 'executed'],
        ['key-idempotency-key-reused', 'conflict'],
        ['key-idempotency-request-in-flight', 'conflict'],
      ],
    );
  });

  test('a keyed request refused before its handler (a body that fails the schema) is recorded, with no outcome', async (t) => {
    const { app, recorded } = await appWith(t);
    const response = await app.inject({
      method: 'POST',
      url: '/typed',
      headers: withKey('k-typed'),
      payload: '{"n":"x"}',
    });
    assert.equal(response.statusCode, 400);
    const rows = await recorded();
    assert.equal(rows.length, 1, 'the hook ran to the end');
    assert.deepEqual(
      [rows[0].route, rows[0].status, rows[0].idempotencyKey, rows[0].idempotencyOutcome],
      ['/typed', 400, 'k-typed', undefined],
    );
  });

  test('include() false: nothing recorded; an unmatched URL is never recorded, by default or not', async (t) => {
    const excluded = await appWith(t, { include: () => false });
    await excluded.app.inject({ method: 'GET', url: '/plain' });
    await excluded.app.inject({ method: 'GET', url: '/nowhere' });
    assert.deepEqual(await excluded.recorded(), []);

    const all = await appWith(t, { include: () => true });
    await all.app.inject({ method: 'GET', url: '/nowhere' });
    await all.app.inject({ method: 'GET', url: '/plain' });
    assert.deepEqual(
      (await all.recorded()).map((r) => [r.route, r.status, r.tenantId]),
      [['/plain', 200, 'acme']],
    );
    assert.deepEqual(all.failures(), [], 'the unmatched URL is left alone, not given to openApiRoute');

    const byDefault = await appWith(t);
    await byDefault.app.inject({ method: 'GET', url: '/nowhere' });
    await byDefault.app.inject({ method: 'GET', url: '/plain' });
    assert.deepEqual(
      (await byDefault.recorded()).map((r) => r.route),
      ['/plain'],
    );
  });

  test('it decorates the request with lineageRefs and lineageState', async (t) => {
    const { app } = await appWith(t);
    assert.equal(app.hasRequestDecorator('lineageRefs'), true);
    assert.equal(app.hasRequestDecorator('lineageState'), true);
  });

  test('it is the plugin "steadfast-lineage", for Fastify 5', async (t) => {
    const { app } = await appWith(t);
    assert.equal(app.hasPlugin('steadfast-lineage'), true);
    assert.deepEqual((lineagePlugin as unknown as Record<symbol, unknown>)[Symbol.for('plugin-meta')], {
      name: 'steadfast-lineage',
      fastify: '5.x',
    });
    // a plugin that depends on it by name registers after it
    const other = Fastify();
    t.after(() => other.close());
    await other.register(lineagePlugin, {
      recorder: { recordRequest: () => {} } as unknown as LineageRecorder,
      tenantOf: () => undefined,
    });
    await other.register(fp(async () => {}, { name: 'needs-lineage', dependencies: ['steadfast-lineage'] }));
    await other.ready();
  });
});

describe('addLineageRefs', () => {
  const fresh = () => ({ lineageRefs: undefined }) as unknown as FastifyRequest;

  test('empty and missing ids are skipped: no refs at all until a real one comes', () => {
    const request = fresh();
    addLineageRefs(request, undefined, '');
    assert.equal(request.lineageRefs, undefined);
    addLineageRefs(request, undefined, 'itm_1', '');
    assert.deepEqual(request.lineageRefs, ['itm_1']);
  });

  test('each id once, in order, across calls', () => {
    const request = fresh();
    addLineageRefs(request, 'a', 'b', 'a');
    addLineageRefs(request, 'b', 'c');
    assert.deepEqual(request.lineageRefs, ['a', 'b', 'c']);
  });

  test('at most 20 refs: the first 20 stay', () => {
    const request = fresh();
    const ids = Array.from({ length: 25 }, (_, i) => `r${i}`);
    addLineageRefs(request, ...ids.slice(0, 19));
    addLineageRefs(request, ...ids.slice(19));
    assert.deepEqual(request.lineageRefs, ids.slice(0, 20));
  });
});
