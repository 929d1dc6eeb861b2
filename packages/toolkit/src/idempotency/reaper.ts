/** Periodically delete expired idempotency records (small batches, no long locks). */
import type { Counter } from 'prom-client';
import type { Queryable } from '../postgres/index.ts';
import { reapExpiredKeys } from './store.ts';

export interface Reaper {
  runOnce(): Promise<number>;
  stop(): void;
}

export function startKeyReaper(options: {
  db: Queryable;
  intervalMs?: number;
  counter?: Counter;
  onError?: (error: unknown) => void;
}): Reaper {
  const runOnce = async () => {
    const n = await reapExpiredKeys(options.db);
    if (n) options.counter?.inc(n);
    return n;
  };
  const timer = setInterval(() => {
    runOnce().catch(options.onError ?? (() => {}));
  }, options.intervalMs ?? 60_000);
  timer.unref();
  return { runOnce, stop: () => clearInterval(timer) };
}
