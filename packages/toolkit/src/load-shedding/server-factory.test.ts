/** createLoadShedding: the server factory's options, its admission before the handler, and the plugin. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import Fastify from 'fastify';
import { asRes, recordingLimiter, request, response } from './gate-harness.ts';
import { createLoadShedding } from './server.ts';

describe('createLoadShedding', () => {
  test('the server keeps the options it is given, and Node’s defaults for the rest', () => {
    const { limiter } = recordingLimiter();
    const shedding = createLoadShedding({ limiter });
    const plain = shedding.serverFactory(() => {}, {} as never);
    assert.deepEqual(
      [plain.keepAliveTimeout, plain.requestTimeout, plain.timeout, plain.maxRequestsPerSocket],
      [5000, 300_000, 0, 0],
    );
    const tuned = shedding.serverFactory(() => {}, {
      keepAliveTimeout: 1234,
      requestTimeout: 4321,
      connectionTimeout: 999,
      maxRequestsPerSocket: 7,
    } as never);
    assert.deepEqual(
      [tuned.keepAliveTimeout, tuned.requestTimeout, tuned.timeout, tuned.maxRequestsPerSocket],
      [1234, 4321, 999, 7],
    );
  });

  test('the plugin: named, once per app, summaries to the app log, flushed on close; giveBack forwards', async (t) => {
    const lines: string[] = [];
    const { limiter, calls } = recordingLimiter(0);
    const shedding = createLoadShedding({ limiter, summaryIntervalMs: 60_000 });
    const meta = (shedding.plugin as unknown as Record<symbol, { name: string; fastify: string }>)[
      Symbol.for('plugin-meta')
    ];
    assert.deepEqual([meta.name, meta.fastify], ['steadfast-load-shedding', '5.x']);
    const app = Fastify({
      serverFactory: shedding.serverFactory,
      loggerInstance: {
        level: 'warn',
        warn: (_fields: unknown, message: string) => lines.push(message),
        info() {},
        error() {},
        debug() {},
        fatal() {},
        trace() {},
        silent() {},
        child() {
          return this;
        },
      } as never,
    });
    await app.register(shedding.plugin);
    app.get('/list', { config: { criticality: 'sheddable' } }, async () => 'ok');
    await app.ready();
    await assert.rejects(async () => {
      await Fastify().register(shedding.plugin).ready();
    }, /createLoadShedding: the plugin is registered twice; create one per app/);
    await app.listen({ port: 0, host: '127.0.0.1' });
    t.after(() => app.close());
    const port = (app.server.address() as { port: number }).port;
    assert.equal((await fetch(`http://127.0.0.1:${port}/list`)).status, 503);
    assert.deepEqual(lines, [], 'not before the interval');
    await app.close();
    assert.deepEqual(lines, ['requests shed: the service is at its concurrency limit'], 'flushed on close');
    assert.deepEqual(calls, ['tryAcquire sheddable']);
  });

  test('the server admits through the gate before the handler; giveBack hands the slot back', () => {
    const { limiter, calls } = recordingLimiter(1);
    const shedding = createLoadShedding({ limiter });
    const handled: unknown[] = [];
    const server = shedding.serverFactory((req) => handled.push(req), {} as never);
    const req = request('/anything', 'POST');
    const res = response();
    server.emit('request', req, res);
    assert.deepEqual(handled, [req]);
    server.emit('request', request('/anything', 'POST'), response());
    assert.equal(handled.length, 1, 'the second is refused: the handler never sees it');
    shedding.giveBack(asRes(res));
    assert.deepEqual(calls, ['tryAcquire sheddable', 'tryAcquire sheddable', 'release undefined']);
  });
});
