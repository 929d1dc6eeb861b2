/**
 * Keep the embedded Postgres running: the process that owns the cluster looks
 * at its postmaster every `checkEveryMs`; when it is gone (killed, crashed,
 * stopped by hand) it starts it again in the same data directory, retrying
 * with backoff while the old server's leftovers (backends still attached to
 * its shared memory, a stale postmaster.pid) are in the way. Every attempt is
 * logged and counted in `steadfast_database_restarts_total{outcome}`. Requests
 * meanwhile answer 503 database-unavailable with Retry-After.
 */
import type { Logger } from '@steadfast/toolkit/observability';
import { registerOnce } from '@steadfast/toolkit/observability';
import { backoffDelayMs } from '@steadfast/toolkit/resilience';
import type { EmbeddedCluster } from '@steadfast/toolkit/testing';
import { Counter, type Registry } from 'prom-client';

export interface ClusterSupervisorOptions {
  cluster: Pick<EmbeddedCluster, 'pid' | 'start' | 'dataDir'>;
  log: Logger;
  registry?: Registry;
  checkEveryMs?: number;
  /** delay between failed restart attempts: full-jitter backoff from baseMs up to maxMs */
  retry?: { baseMs: number; maxMs: number };
}

export interface ClusterSupervisor {
  /** restarts done since start (for tests and the log) */
  restarts(): number;
  /** stop watching; waits for a restart attempt in progress */
  stop(): Promise<void>;
}

export function restartsCounter(registry: Registry): Counter<'outcome'> {
  return registerOnce(
    registry,
    'steadfast_database_restarts_total',
    () =>
      new Counter({
        name: 'steadfast_database_restarts_total',
        help: 'Attempts to restart the embedded Postgres after it died, by outcome (restarted, failed)',
        labelNames: ['outcome'],
        registers: [registry],
      }),
  );
}

export function superviseCluster(options: ClusterSupervisorOptions): ClusterSupervisor {
  const { cluster, log } = options;
  const checkEveryMs = options.checkEveryMs ?? 500;
  const retry = options.retry ?? { baseMs: 250, maxMs: 2000 };
  const counter = options.registry ? restartsCounter(options.registry) : undefined;
  let stopped = false;
  let restarts = 0;
  let timer: NodeJS.Timeout | undefined;
  let wake: (() => void) | undefined;
  let current: Promise<void> | undefined;

  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      wake = resolve;
      timer = setTimeout(resolve, ms);
    });

  async function restart(): Promise<void> {
    log.error({ dataDir: cluster.dataDir }, 'embedded Postgres is not running; restarting it');
    const down = Date.now();
    for (let attempt = 1; !stopped; attempt++) {
      try {
        await cluster.start();
        restarts++;
        counter?.inc({ outcome: 'restarted' });
        log.warn({ attempt, downMs: Date.now() - down, pid: cluster.pid }, 'embedded Postgres restarted');
        return;
      } catch (error) {
        counter?.inc({ outcome: 'failed' });
        const delayMs = Math.max(100, backoffDelayMs(attempt, retry));
        log.error({ attempt, delayMs, err: error }, 'embedded Postgres restart failed; retrying');
        await pause(delayMs);
      }
    }
  }

  async function loop(): Promise<void> {
    while (!stopped) {
      if (cluster.pid === undefined) await restart();
      if (!stopped) await pause(checkEveryMs);
    }
  }

  current = loop().catch((error) => log.error({ err: error }, 'embedded Postgres supervisor stopped'));
  return {
    restarts: () => restarts,
    async stop() {
      stopped = true;
      clearTimeout(timer);
      wake?.();
      await current;
    },
  };
}
