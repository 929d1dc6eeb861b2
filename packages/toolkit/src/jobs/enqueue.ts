/**
 * Enqueue a job inside the caller's transaction (graphile-worker's SQL
 * `add_job` on the same client): the job exists if and only if the caller's
 * transaction commits. With a key, a later enqueue replaces a waiting job.
 */
import { activeTraceparent } from '../observability/index.ts';
import type { Queryable } from '../postgres/index.ts';

export interface EnqueueOptions {
  /** logical identity: one waiting job per key */
  key?: string;
  runAt?: Date;
  /** 'replace' (default) or 'preserve_run_at' (for schedules) */
  keyMode?: 'replace' | 'preserve_run_at';
  /**
   * the W3C traceparent the job's run continues (kept in the payload as
   * `__traceparent`); default: the active span's, `null` for none (schedules)
   */
  traceparent?: string | null;
}

/** graphile-worker may re-run a job only after a crash; our own policy retries by re-enqueueing. */
export const CRASH_RERUNS = 25;

export async function enqueueJob(
  db: Queryable,
  task: string,
  payload: Record<string, unknown>,
  options: EnqueueOptions = {},
): Promise<void> {
  const traceparent = options.traceparent === undefined ? activeTraceparent() : options.traceparent;
  const meta = {
    ...(options.key ? { __key: options.key } : {}),
    ...(traceparent ? { __traceparent: traceparent } : {}),
  };
  await db.query(
    `SELECT graphile_worker.add_job($1, $2::json, job_key => $3, run_at => $4, max_attempts => $5, job_key_mode => $6)`,
    [
      task,
      JSON.stringify(meta.__key || meta.__traceparent ? { ...payload, ...meta } : payload),
      options.key ?? null,
      options.runAt ?? null,
      CRASH_RERUNS,
      options.keyMode ?? 'replace',
    ],
  );
}
