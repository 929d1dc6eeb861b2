/**
 * Smaller edges of the block: traceparent parsing (case, spaces, anchors,
 * zero ids), background errors without a registry, the log destination and
 * logger defaults, unlabelled query-gauge samples, and /readyz clearing its timer.
 */
import assert from 'node:assert/strict';
import { type EventEmitter, once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import Fastify from 'fastify';
import { Registry } from 'prom-client';
import { coreProblems, createProblemRegistry, problems } from '../problems/index.ts';
import { createLogCapture } from '../testing/log-capture.ts';
import { metricValues } from '../testing/metric-values.ts';
import { createBackgroundErrors } from './background-errors.ts';
import { registerHealthRoutes } from './health.ts';
import { createLogDestination, createLogger } from './logger.ts';
import { createQueryGauge } from './metrics.ts';
import { parseTraceparent } from './request-id.ts';

const TP = '00-0af7651916cd43dd8448eb211c803190-b7ad6b7169203330-01';

describe('parseTraceparent', () => {
  test('trimmed and lower-cased; ids with leading or trailing zeros are valid', () => {
    assert.deepEqual(parseTraceparent(`  ${TP.toUpperCase()} `), {
      version: '00',
      traceId: '0af7651916cd43dd8448eb211c803190',
      parentId: 'b7ad6b7169203330',
      flags: '01',
      header: TP,
    });
  });

  test('anchored at both ends; an all-zero parent id is invalid', () => {
    for (const bad of [
      `0${TP}`,
      `${TP}0`,
      `x${TP}`,
      `${TP}-x`,
      '00-0af7651916cd43dd8448eb211c803190-0000000000000000-01',
    ])
      assert.equal(parseTraceparent(bad), undefined, bad);
    assert.equal(parseTraceparent(['a', 'b']), undefined);
  });
});

describe('background errors', () => {
  test('without a registry: only logged, at warn, with "<component> failed"', () => {
    const logs = createLogCapture();
    const errors = createBackgroundErrors({ log: createLogger({ destination: logs.stream }) });
    errors.report('heartbeat', new Error('connection reset'));
    const [line] = logs.lines();
    assert.deepEqual([line.level, line.msg, line.component], [40, 'heartbeat failed', 'heartbeat']);
  });
});

describe('the logger', () => {
  test('redacted values read "[redacted]"; every line has the pid', () => {
    const logs = createLogCapture();
    createLogger({ destination: logs.stream }).info({ apiKey: 'sf_live_x' }, 'x');
    const [line] = logs.lines();
    assert.equal(line.apiKey, '[redacted]');
    assert.equal(line.pid, process.pid);
  });

  test('the log destination writes to a path; lines are buffered 4 KiB by default, 0 writes each at once', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'obs-log-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    type Sonic = EventEmitter & { minLength: number; write(s: string): void; flushSync(): void; end(): void };
    const file = join(dir, 'app.log');
    const buffered = createLogDestination({ dest: file }) as unknown as Sonic;
    const direct = createLogDestination({
      dest: join(dir, 'direct.log'),
      bufferBytes: 0,
    }) as unknown as Sonic;
    await Promise.all([once(buffered, 'ready'), once(direct, 'ready')]);
    assert.equal(buffered.minLength, 4096);
    assert.equal(direct.minLength, 0);
    buffered.write('{"msg":"one"}\n');
    buffered.flushSync();
    assert.equal(readFileSync(file, 'utf8'), '{"msg":"one"}\n');
    const closed = Promise.all([once(buffered, 'close'), once(direct, 'close')]);
    buffered.end();
    direct.end();
    await closed;
  });
});

describe('query gauges', () => {
  test('a sample without labels is the unlabelled value; no labelNames means none', async () => {
    const registry = new Registry();
    const errors = createBackgroundErrors({ log: createLogger({ destination: createLogCapture().stream }) });
    const gauge = createQueryGauge({
      registry,
      errors,
      name: 'shop_queue_depth',
      help: 'Depth',
      read: async () => [{ value: 4 }],
    });
    assert.deepEqual(await metricValues(registry, 'shop_queue_depth'), [{ labels: {}, value: 4 }]);
    assert.deepEqual((gauge as unknown as { labelNames: string[] }).labelNames, []);
  });
});

describe('/readyz', () => {
  test('a check that answers in time clears its timeout timer', async (t) => {
    const app = Fastify();
    t.after(() => app.close());
    await app.register(problems, { registry: createProblemRegistry(coreProblems) });
    registerHealthRoutes(app, { timeoutMs: 54_321, notReadyReason: async () => undefined });
    const armed: unknown[] = [];
    const cleared: unknown[] = [];
    const realSet = globalThis.setTimeout as unknown as (
      fn: unknown,
      ms?: number,
      ...rest: unknown[]
    ) => NodeJS.Timeout;
    const realClear = globalThis.clearTimeout;
    t.mock.method(globalThis, 'setTimeout', (fn: () => void, ms?: number, ...rest: unknown[]) => {
      const timer = realSet(fn, ms, ...rest);
      if (ms === 54_321) armed.push(timer);
      return timer;
    });
    t.mock.method(globalThis, 'clearTimeout', (timer: NodeJS.Timeout | undefined) => {
      cleared.push(timer);
      realClear(timer);
    });
    const response = await app.inject({ method: 'GET', url: '/readyz' });
    t.mock.restoreAll();
    assert.equal(response.statusCode, 200);
    assert.equal(armed.length, 1);
    assert.ok(cleared.includes(armed[0]), 'the timer is cleared');
    for (const timer of armed) realClear(timer as NodeJS.Timeout);
  });
});
