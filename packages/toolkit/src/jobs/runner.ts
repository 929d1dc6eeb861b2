/**
 * The job runner (worker role) on graphile-worker, with what open-source
 * graphile-worker lacks: our own retry policy (full jitter, per task), dead
 * letters, worker heartbeats so a SIGKILLed worker's jobs are released within
 * `workerDeadAfterS` (not 4 hours), and periodic tasks shorter than a minute.
 */
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import {
  Logger as GraphileLogger,
  type Runner,
  run,
  runMigrations,
  type TaskList,
  type WorkerEvents,
} from 'graphile-worker';
import {
  type BackgroundErrors,
  inSpan,
  type Logger,
  recordSpanError,
  type Span,
  SpanKind,
  type Tracer,
} from '../observability/index.ts';
import { assertMigrated, directPool, type Pool, withTransaction } from '../postgres/index.ts';
import { backoffDelayMs } from '../resilience/index.ts';
import { insertDeadLetter } from './dead-letters.ts';
import { enqueueJob } from './enqueue.ts';
import { poolForGraphileWorker } from './graphile-pool.ts';
import type { JobMetrics } from './metrics.ts';
import { jobsMigrations } from './migrations.ts';
import { type JobMeta, PermanentJobError, type TaskDefinition, userPayload } from './task.ts';

export interface JobRunnerOptions {
  pool: Pool;
  tasks: TaskDefinition<never>[];
  log: Logger;
  metrics: JobMetrics;
  concurrency?: number;
  defaultMaxAttempts?: number;
  defaultMaxDelayMs?: number;
  workerDeadAfterS?: number;
  heartbeatMs?: number;
  /** tasks to run every `everyMs` (any number of workers: scheduled once) */
  periodic?: { task: string; everyMs: number }[];
  newId: (prefix: string) => string;
  random?: () => number;
  /** heartbeats, scheduler ticks and clean-up run off any request: their failures go here */
  errors: BackgroundErrors;
  /** tracing on: one CONSUMER span per job run, a child of the span that enqueued the job */
  tracer?: Tracer;
}

/** graphile-worker's own schema (its migrations are idempotent and locked; on the direct connection). */
export function migrateJobs(pool: Pool): Promise<void> {
  return runMigrations({ pgPool: directPool(pool), logger: new GraphileLogger(() => () => {}) });
}

function graphileLogger(log: Logger) {
  return new GraphileLogger(() => (level, message, meta) => {
    if (level === 'error') log.error({ meta }, message);
    else if (level === 'warning') log.warn({ meta }, message);
  });
}

export function createJobRunner(options: JobRunnerOptions) {
  const { pool, log, metrics } = options;
  const processId = randomBytes(6).toString('hex');
  const workerIds = new Set<string>();
  const timers: NodeJS.Timeout[] = [];
  let runner: Runner | undefined;

  function wrap(def: TaskDefinition<never>) {
    const maxAttempts = def.maxAttempts ?? options.defaultMaxAttempts ?? 8;
    const maxDelayMs = def.maxDelayMs ?? options.defaultMaxDelayMs ?? 60_000;
    const traced = async (raw: unknown, helpers: { job: { id: string }; abortSignal: AbortSignal }) => {
      const payload = (raw ?? {}) as Record<string, unknown> & JobMeta;
      return inSpan(
        options.tracer,
        `job ${def.name}`,
        {
          kind: SpanKind.CONSUMER,
          parent: payload.__traceparent ?? null,
          attributes: {
            'steadfast.job.task': def.name,
            'steadfast.job.attempt': payload.__attempt ?? 1,
            'steadfast.job.id': String(helpers.job.id),
          },
        },
        (span) => runJob(payload, helpers, span),
      );
    };
    const runJob = async (
      payload: Record<string, unknown> & JobMeta,
      helpers: { job: { id: string }; abortSignal: AbortSignal },
      span: Span | undefined,
    ) => {
      const attempt = payload.__attempt ?? 1;
      const started = performance.now();
      try {
        await def.run(userPayload(payload) as never, {
          attempt,
          signal: helpers.abortSignal,
          jobId: String(helpers.job.id),
        });
        metrics.duration.observe(
          { task: def.name, outcome: 'success' },
          (performance.now() - started) / 1000,
        );
        const every = options.periodic?.find((p) => p.task === def.name);
        if (every) await schedule(every.task, every.everyMs, true);
      } catch (error) {
        metrics.duration.observe(
          { task: def.name, outcome: 'failure' },
          (performance.now() - started) / 1000,
        );
        const firstFailedAt = payload.__firstFailedAt ?? new Date().toISOString();
        const permanent = error instanceof PermanentJobError;
        if (span) recordSpanError(span, error);
        if (!permanent && attempt < maxAttempts) {
          const delay = backoffDelayMs(attempt, {
            baseMs: def.baseDelayMs ?? 1000,
            maxMs: maxDelayMs,
            random: options.random,
          });
          metrics.retries.inc({ task: def.name });
          log.warn({ task: def.name, attempt, delayMs: delay, err: error }, 'job failed; retrying');
          span?.setAttribute('steadfast.job.outcome', 'retry');
          await enqueueJob(
            pool,
            def.name,
            { ...payload, __attempt: attempt + 1, __firstFailedAt: firstFailedAt },
            {
              key: payload.__key,
              runAt: new Date(Date.now() + delay),
              traceparent: payload.__traceparent ?? null, // every run a child of the request, not of the last run
            },
          );
          return;
        }
        metrics.deadLetters.inc({ task: def.name });
        log.error({ task: def.name, attempt, err: error }, 'job dead-lettered');
        span?.setAttribute('steadfast.job.outcome', 'dead-letter');
        await withTransaction(pool, async (client) => {
          await insertDeadLetter(client, {
            id: options.newId('dl'),
            tenantId: typeof payload.tenantId === 'string' ? payload.tenantId : null,
            task: def.name,
            payload: userPayload(payload),
            attempts: attempt,
            errorCategory: permanent ? 'permanent' : 'exhausted',
            errorMessage: error instanceof Error ? error.message : String(error),
            firstFailedAt,
          });
          await def.onDeadLetter?.(userPayload(payload) as never, error, client);
        });
      }
    };
    return traced;
  }

  /** Enqueue the next run of a periodic task at the next slot; the key makes many workers agree. */
  async function schedule(task: string, everyMs: number, next = false): Promise<void> {
    const slot = (Math.floor(Date.now() / everyMs) + 1) * everyMs; // the next slot boundary
    await enqueueJob(
      pool,
      task,
      {},
      {
        key: `periodic:${task}`,
        runAt: new Date(slot),
        keyMode: next ? 'replace' : 'preserve_run_at',
        traceparent: null, // each run of a schedule is its own trace
      },
    );
  }

  function beat(): void {
    heartbeat().catch((error) => options.errors.report('worker-heartbeat', error));
  }

  async function heartbeat(): Promise<void> {
    if (workerIds.size > 0) {
      await pool.query(
        `INSERT INTO worker_heartbeats (worker_id, process_id, last_seen_at) SELECT unnest($1::text[]), $2, now()
         ON CONFLICT (worker_id) DO UPDATE SET last_seen_at = now()`,
        [[...workerIds], processId],
      );
    }
    const { rows } = await pool.query<{ worker_id: string }>(
      `DELETE FROM worker_heartbeats WHERE last_seen_at < now() - make_interval(secs => $1) RETURNING worker_id`,
      [options.workerDeadAfterS ?? 30],
    );
    if (rows.length > 0) {
      await pool.query('SELECT graphile_worker.force_unlock_workers($1::text[])', [
        rows.map((r) => r.worker_id),
      ]);
      log.warn({ workers: rows.map((r) => r.worker_id) }, 'released the jobs of silent workers');
    }
  }

  return {
    async start(): Promise<void> {
      await assertMigrated(pool, jobsMigrations, 'jobsMigrations');
      await migrateJobs(pool);
      const taskList: TaskList = {};
      for (const def of options.tasks) taskList[def.name] = wrap(def) as TaskList[string];
      // subscribe before run(): its workers are created while it starts
      const events = new EventEmitter() as WorkerEvents;
      events.on('worker:create', ({ worker }) => {
        workerIds.add(worker.workerId);
        beat();
      });
      events.on('worker:stop', ({ worker }) => workerIds.delete(worker.workerId));
      // jobs are locked by the pool's id (graphile-worker ≥ 0.16 locks per pool), so beat for it too
      events.on('pool:create', ({ workerPool }) => {
        workerIds.add(workerPool.id);
        beat();
      });
      runner = await run({
        // its un-awaited job completions retry while the database restarts; it LISTENs and keeps
        // session state, so behind a transaction-mode pooler it gets the direct connection
        pgPool: poolForGraphileWorker(directPool(pool)),
        taskList,
        concurrency: options.concurrency ?? 4,
        noHandleSignals: true,
        pollInterval: 1000,
        logger: graphileLogger(log),
        events,
      });
      timers.push(setInterval(beat, options.heartbeatMs ?? 2000));
      for (const p of options.periodic ?? []) {
        await schedule(p.task, p.everyMs);
        timers.push(
          setInterval(
            () =>
              void schedule(p.task, p.everyMs).catch((error) =>
                options.errors.report('job-scheduler', error, { task: p.task }),
              ),
            Math.max(1000, p.everyMs),
          ),
        );
      }
    },
    async stop(): Promise<void> {
      for (const t of timers) clearInterval(t);
      await runner?.stop();
      if (workerIds.size)
        await pool
          .query('DELETE FROM worker_heartbeats WHERE worker_id = ANY($1)', [[...workerIds]])
          .catch((error) => options.errors.report('worker-heartbeat', error)); // the rows expire by themselves
    },
    workerIds: () => [...workerIds],
  };
}

export type JobRunner = ReturnType<typeof createJobRunner>;
