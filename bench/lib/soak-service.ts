/**
 * The service a soak measures, in its own process: exactly what `steadfast start`
 * runs (runServer with role start: the API, the worker — job runner, inbox
 * processor, outbox dispatcher, periodic reaping — and the idempotency-key
 * reaper), configured from the environment like production. One change to the
 * loaded configuration: SOAK_RETENTION_S replaces the idempotency and operations
 * retention (whose variables allow no less than 60 s), so rows expire within a
 * short soak and the reapers have work.
 *
 * Over IPC it answers `{ type: 'sample' }` with its own RSS, heap and the
 * event-loop delay since the previous sample (perf_hooks monitorEventLoopDelay),
 * `{ type: 'retained' }` with the heap still used after a full GC (it runs with
 * --expose-gc for this only: the leak signal, apart from how lazily V8 collects),
 * and `{ type: 'heap-snapshot', path }` by writing one (leak hunting).
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import v8 from 'node:v8';
import { runServer } from '../../apps/orders/src/commands/serve.ts';
import { loadConfigFor } from '../../apps/orders/src/config.ts';

export interface ServiceSample {
  type: 'sample';
  rssBytes: number;
  heapUsedBytes: number;
  heapTotalBytes: number;
  externalBytes: number;
  arrayBuffersBytes: number;
  /** V8 heap spaces, bytes used by space name */
  heapSpaces: Record<string, number>;
  eventLoopDelayP99Ms: number;
  eventLoopDelayMaxMs: number;
}

const delay = monitorEventLoopDelay({ resolution: 10 });
delay.enable();

process.on('message', (message: { type: string; path?: string }) => {
  if (message.type === 'sample') {
    const memory = process.memoryUsage();
    const sample: ServiceSample = {
      type: 'sample',
      rssBytes: memory.rss,
      heapUsedBytes: memory.heapUsed,
      heapTotalBytes: memory.heapTotal,
      externalBytes: memory.external,
      arrayBuffersBytes: memory.arrayBuffers,
      heapSpaces: Object.fromEntries(
        v8.getHeapSpaceStatistics().map((s) => [s.space_name, s.space_used_size]),
      ),
      eventLoopDelayP99Ms: delay.percentile(99) / 1e6,
      eventLoopDelayMaxMs: delay.max / 1e6,
    };
    delay.reset();
    process.send?.(sample);
  } else if (message.type === 'retained') {
    const gc = (globalThis as { gc?: () => void }).gc;
    if (!gc) throw new Error('soak-service: run with --expose-gc');
    gc();
    gc(); // the second collects what finalizers of the first released
    process.send?.({ type: 'retained', heapUsedBytes: process.memoryUsage().heapUsed });
  } else if (message.type === 'heap-snapshot' && message.path) {
    process.send?.({ type: 'heap-snapshot', path: v8.writeHeapSnapshot(message.path) });
  }
});

const config = loadConfigFor('start');
const retentionS = Number(process.env.SOAK_RETENTION_S);
if (retentionS > 0) {
  config.idempotencyRetentionS = retentionS;
  config.operationsRetentionS = retentionS;
}
await runServer(config, { role: 'start' });
process.send?.({ type: 'listening' });
