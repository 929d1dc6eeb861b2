/**
 * Graceful shutdown: the first SIGTERM/SIGINT runs the steps in order (stop
 * accepting and drain requests, close the pool, stop the embedded cluster);
 * a second signal exits at once.
 */
import type { Logger } from '@steadfast/toolkit/observability';

export interface ShutdownStep {
  name: string;
  run: () => Promise<void>;
  timeoutMs?: number;
}

function withTimeout(promise: Promise<void>, ms: number, name: string): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${name} did not finish within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export async function runShutdown(steps: ShutdownStep[], log: Logger): Promise<boolean> {
  let clean = true;
  for (const step of steps) {
    try {
      await withTimeout(step.run(), step.timeoutMs ?? 15_000, step.name);
      log.info({ step: step.name }, 'shutdown step done');
    } catch (error) {
      clean = false;
      log.error({ err: error, step: step.name }, 'shutdown step failed');
    }
  }
  return clean;
}

export function onShutdownSignal(steps: ShutdownStep[], log: Logger): void {
  let stopping = false;
  const handler = (signal: NodeJS.Signals) => {
    if (stopping) {
      log.warn({ signal }, 'second signal: exiting now');
      process.exit(130);
    }
    stopping = true;
    log.info({ signal }, 'shutting down');
    void runShutdown(steps, log).then((clean) => process.exit(clean ? 0 : 1));
  };
  process.on('SIGTERM', handler);
  process.on('SIGINT', handler);
}
