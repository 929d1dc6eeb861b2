/**
 * Durable jobs: enqueue→start latency (p50, p99) at a steady pace, and
 * throughput of a no-op task through toolkit/jobs vs bare graphile-worker,
 * same run, same Postgres. ratio = our throughput ÷ bare. Targets: p50 ≤ 10 ms,
 * ratio ≥ 0.9.
 */

import { createIdGenerator } from '@steadfast/toolkit/ids';
import { createJobMetrics, createJobRunner, enqueueJob, migrateJobs } from '@steadfast/toolkit/jobs';
import { createBackgroundErrors, createLogger } from '@steadfast/toolkit/observability';
import type { Pool } from '@steadfast/toolkit/postgres';
import { Logger, run } from 'graphile-worker';
import { Registry } from 'prom-client';
import { startBenchDatabase } from './lib/cluster.ts';
import { report, round } from './lib/report.ts';

type Runner = { stop(): Promise<void> };
type Starter = (onRun: (payload: { at?: number }) => void) => Promise<Runner>;

const percentile = (xs: number[], p: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))];

async function measure(name: string, pool: Pool, start: Starter, jobs: number) {
  // throughput: a backlog of `jobs` no-op jobs, drained
  let done = 0;
  let finished!: () => void;
  const allDone = new Promise<void>((r) => (finished = r));
  await pool.query(
    `SELECT graphile_worker.add_jobs(array_agg(ROW('noop', '{}'::json, NULL, NULL, 25, NULL, NULL, NULL)::graphile_worker.job_spec)) FROM generate_series(1, $1)`,
    [jobs],
  );
  const startedAt = performance.now();
  let runner = await start(() => {
    if (++done === jobs) finished();
  });
  await allDone;
  const perSecond = jobs / ((performance.now() - startedAt) / 1000);
  await runner.stop();
  // latency: one job every 10 ms into an idle runner
  const latencies: number[] = [];
  runner = await start((payload) => {
    if (payload.at) latencies.push(Date.now() - payload.at);
  });
  for (let i = 0; i < 300; i++) {
    await enqueueJob(pool, 'noop', { at: Date.now() });
    await new Promise((r) => setTimeout(r, 10));
  }
  while (latencies.length < 300) await new Promise((r) => setTimeout(r, 20));
  await runner.stop();
  const result = { perSecond, p50: percentile(latencies, 0.5), p99: percentile(latencies, 0.99) };
  console.log(
    `${name.padEnd(24)} ${Math.round(result.perSecond)} jobs/s   enqueue→start p50 ${result.p50} ms, p99 ${result.p99} ms`,
  );
  return result;
}

export async function run_(args: string[]) {
  const jobs = Number(args[0] ?? 5000);
  const db = await startBenchDatabase({ poolMax: 20 });
  await migrateJobs(db.pool);
  const silent = new Logger(() => () => {});
  const bare: Starter = async (onRun) =>
    run({
      pgPool: db.pool,
      concurrency: 4,
      noHandleSignals: true,
      pollInterval: 1000,
      logger: silent,
      taskList: { noop: async (payload) => onRun(payload as { at?: number }) },
    });
  const ids = createIdGenerator();
  const ours: Starter = async (onRun) => {
    const runner = createJobRunner({
      pool: db.pool,
      log: createLogger({ level: 'silent' }),
      errors: createBackgroundErrors({ log: createLogger({ level: 'silent' }) }),
      metrics: createJobMetrics(new Registry(), db.pool),
      newId: (p) => ids.next(p),
      concurrency: 4,
      tasks: [{ name: 'noop', run: async (payload: { at?: number }) => onRun(payload) }] as never[],
    });
    await runner.start();
    return runner;
  };
  try {
    const b = await measure('bare graphile-worker', db.pool, bare, jobs);
    const o = await measure('steadfast toolkit/jobs', db.pool, ours, jobs);
    report({
      name: 'jobs',
      value: round(o.perSecond, 1),
      baseline: round(b.perSecond, 1),
      ratio: round(o.perSecond / b.perSecond),
      unit: 'jobs/s',
      target: 'ratio >= 0.9; p50 <= 10 ms',
      p50Ms: o.p50,
      p99Ms: o.p99,
      baselineP50Ms: b.p50,
      baselineP99Ms: b.p99,
      jobs,
    });
  } finally {
    await db.close();
  }
}
export { run_ as run };
