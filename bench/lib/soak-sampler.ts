/** Every 10 s of a soak: the service's memory and event-loop delay, its limiter, the load's counts, the reaped tables' rows. */
import type { Pool } from '@steadfast/toolkit/postgres';
import { round } from './report.ts';
import type { ServiceProcess, SoakProgress } from './soak-processes.ts';
import type { ServiceSample } from './soak-service.ts';
import { mb, metricSum, reapedTableRows } from './soak-stats.ts';

export interface Sample {
  atS: number;
  service: ServiceSample;
  progress: SoakProgress;
  rows: { idempotencyKeys: number; inbox: number };
  /** the load-shedding limiter's current limit, and requests it has shed so far */
  concurrencyLimit: number;
  shed: number;
}

export function createSampler(options: { service: ServiceProcess; pool: Pool; everyMs: number }) {
  const samples: Sample[] = [];
  let latest: SoakProgress = { atS: 0, operations: 0, requests: 0, errors: 0, dropped: 0 };
  let started = 0;
  let timer: NodeJS.Timeout | undefined;
  const take = async (atS: number) => {
    const [service, rows, metrics] = await Promise.all([
      options.service.sample(),
      reapedTableRows(options.pool),
      options.service.metrics(),
    ]);
    const sample: Sample = {
      atS,
      service,
      progress: latest,
      rows,
      concurrencyLimit: metricSum(metrics, 'steadfast_concurrency_limit'),
      shed: metricSum(metrics, 'steadfast_shed_requests_total'),
    };
    samples.push(sample);
    console.log(
      `t=${String(Math.round(atS)).padStart(4)} s  rss ${mb(service.rssBytes)} MB  heap ${mb(service.heapUsedBytes)}/${mb(service.heapTotalBytes)} MB  loop p99 ${round(service.eventLoopDelayP99Ms, 1)} ms  requests ${latest.requests}  errors ${latest.errors}  shed ${sample.shed} (limit ${sample.concurrencyLimit})  keys ${rows.idempotencyKeys}  inbox ${rows.inbox}`,
    );
  };
  const nowS = () => (performance.now() - started) / 1000;
  const report = (error: unknown) => console.error(`soak: a sample failed: ${(error as Error).message}`);
  return {
    samples,
    /** the load child's latest progress line */
    progress(p: SoakProgress) {
      latest = p;
    },
    async start() {
      started = performance.now();
      await take(0);
      timer = setInterval(() => take(nowS()).catch(report), options.everyMs);
    },
    /** the last sample, with the load's final counts */
    async stop(final: SoakProgress) {
      clearInterval(timer);
      latest = final;
      await take(nowS());
    },
  };
}
