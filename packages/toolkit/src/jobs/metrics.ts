/** Job metrics on the app's registry: queue depth, durations, retries, dead letters by task. */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { type BackgroundErrors, createQueryGauge, registerOnce } from '../observability/index.ts';
import type { Queryable } from '../postgres/index.ts';

/** `errors`: where a failed read of the queue depth is reported when scraped (the gauge then shows nothing) */
export function createJobMetrics(registry: Registry, db: Queryable, errors?: BackgroundErrors) {
  return {
    duration: registerOnce(
      registry,
      'steadfast_job_duration_seconds',
      () =>
        new Histogram({
          name: 'steadfast_job_duration_seconds',
          help: 'Job run duration by task and outcome',
          labelNames: ['task', 'outcome'] as const,
          buckets: [0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30],
          registers: [registry],
        }),
    ),
    retries: registerOnce(
      registry,
      'steadfast_job_retries_total',
      () =>
        new Counter({
          name: 'steadfast_job_retries_total',
          help: 'Jobs re-enqueued by the retry policy',
          labelNames: ['task'] as const,
          registers: [registry],
        }),
    ),
    deadLetters: registerOnce(
      registry,
      'steadfast_dead_letters_total',
      () =>
        new Counter({
          name: 'steadfast_dead_letters_total',
          help: 'Jobs moved to the dead letters',
          labelNames: ['task'] as const,
          registers: [registry],
        }),
    ),
    queueDepth: registerOnce(
      registry,
      'steadfast_job_queue_depth',
      () =>
        new Gauge({
          name: 'steadfast_job_queue_depth',
          help: 'Jobs waiting or running, by task',
          labelNames: ['task'] as const,
          registers: [registry],
          async collect() {
            this.reset();
            const { rows } = await db
              .query<{ task: string; n: number }>(
                `SELECT t.identifier AS task, count(*)::int AS n FROM graphile_worker._private_jobs j
               JOIN graphile_worker._private_tasks t ON t.id = j.task_id GROUP BY t.identifier`,
              )
              .catch((error: unknown) => {
                errors?.report('metrics', error, { metric: 'steadfast_job_queue_depth' });
                return { rows: [] as { task: string; n: number }[] };
              });
            for (const row of rows) this.set({ task: row.task }, row.n);
          },
        }),
    ),
  };
}

export type JobMetrics = ReturnType<typeof createJobMetrics>;

/**
 * Gauges read when scraped (one query each, none per request): the dead
 * letters nobody has replayed or discarded yet, and the worker processes whose
 * heartbeat is fresh — computed from the database, so a web process reports
 * them even when every worker is gone.
 */
export function createDeadLetterMetrics(options: {
  registry: Registry;
  db: Queryable;
  errors: BackgroundErrors;
  /** a heartbeat older than this is a dead worker (default 30 s, as the runner's) */
  workerDeadAfterS?: number;
}) {
  const { registry, db, errors } = options;
  const open = createQueryGauge({
    registry,
    errors,
    name: 'steadfast_dead_letters_open',
    help: 'Dead letters waiting for an operator (neither replayed nor discarded), by task',
    labelNames: ['task'],
    read: async () => {
      const { rows } = await db.query<{ task: string; n: number }>(
        `SELECT task, count(*)::int AS n FROM dead_letters WHERE status = 'dead' GROUP BY task`,
      );
      return rows.map((row) => ({ labels: { task: row.task }, value: row.n }));
    },
  });
  const workersAlive = createQueryGauge({
    registry,
    errors,
    name: 'steadfast_workers_alive',
    help: 'Worker processes whose heartbeat is younger than the dead-after threshold',
    read: async () => {
      const { rows } = await db.query<{ n: number }>(
        `SELECT count(DISTINCT process_id)::int AS n FROM worker_heartbeats
         WHERE last_seen_at > now() - make_interval(secs => $1)`,
        [options.workerDeadAfterS ?? 30],
      );
      return [{ value: rows[0].n }];
    },
  });
  return { open, workersAlive };
}
