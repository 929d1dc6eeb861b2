/**
 * steadfast/outbox: events written as rows in the same transaction as the
 * change they announce (one cheap INSERT — never a job per event), and a
 * dispatcher that claims due rows in batches (FOR UPDATE SKIP LOCKED), hands
 * each to a deliver function, retries failures with jittered backoff and
 * finally marks them dead (counted and visible for replay).
 */
import { createPollLoop } from '../jobs/poll-loop.ts';
import { retryDelayMs } from '../jobs/task.ts';
import type { Logger } from '../observability/index.ts';
import type { Queryable } from '../postgres/index.ts';

export interface OutboxEvent {
  id: string;
  tenantId: string;
  type: string;
  payload: Record<string, unknown>;
  attempts: number;
  createdAt: string;
}

export async function writeOutboxEvent(
  db: Queryable,
  event: { id: string; tenantId: string; type: string; payload: Record<string, unknown> },
): Promise<void> {
  await db.query('INSERT INTO outbox (id, tenant_id, type, payload) VALUES ($1, $2, $3, $4)', [
    event.id,
    event.tenantId,
    event.type,
    JSON.stringify(event.payload),
  ]);
}

export interface DispatcherOptions {
  db: Queryable;
  deliver: (event: OutboxEvent) => Promise<void>;
  log: Logger;
  batchSize?: number;
  maxAttempts?: number;
  maxDelayMs?: number;
  /** how long a claimed row stays invisible to other dispatchers */
  claimMs?: number;
  idleMs?: number;
  random?: () => number;
  onDead?: (event: OutboxEvent, error: unknown) => Promise<void>;
  /** failures that never reached the partner (open breaker, full bulkhead): wait, without spending an attempt */
  isBackPressure?: (error: unknown) => boolean;
  backPressureDelayMs?: number;
}

export function createOutboxDispatcher(options: DispatcherOptions) {
  const batchSize = options.batchSize ?? 50;
  const maxAttempts = options.maxAttempts ?? 8;
  const maxDelayMs = options.maxDelayMs ?? 60_000;
  const random = options.random ?? Math.random;

  /** Claim one batch and deliver it; returns how many events were handled. */
  async function runOnce(): Promise<number> {
    const { rows } = await options.db.query<{
      id: string;
      tenant_id: string;
      type: string;
      payload: Record<string, unknown>;
      attempts: number;
      created_at: Date;
    }>(
      `UPDATE outbox SET attempts = attempts + 1, next_attempt_at = now() + make_interval(secs => $2)
       WHERE id IN (SELECT id FROM outbox WHERE status = 'pending' AND next_attempt_at <= now()
                    ORDER BY next_attempt_at LIMIT $1 FOR UPDATE SKIP LOCKED)
       RETURNING id, tenant_id, type, payload, attempts, created_at`,
      [batchSize, (options.claimMs ?? 30_000) / 1000],
    );
    const delivered: string[] = [];
    await Promise.all(
      rows.map(async (row) => {
        const event: OutboxEvent = {
          id: row.id,
          tenantId: row.tenant_id,
          type: row.type,
          payload: row.payload,
          attempts: row.attempts,
          createdAt: row.created_at.toISOString(),
        };
        try {
          await options.deliver(event);
          delivered.push(row.id);
        } catch (error) {
          const message = error instanceof Error ? error.message : String(error);
          if (options.isBackPressure?.(error)) {
            await options.db.query(
              `UPDATE outbox SET attempts = attempts - 1, next_attempt_at = now() + make_interval(secs => $2), last_error = $3 WHERE id = $1`,
              [row.id, (options.backPressureDelayMs ?? 1000) / 1000, message],
            );
            return;
          }
          if (row.attempts >= maxAttempts) {
            await options.db.query(`UPDATE outbox SET status = 'dead', last_error = $2 WHERE id = $1`, [
              row.id,
              message,
            ]);
            options.log.error({ eventId: row.id, type: row.type, err: error }, 'outbox event dead');
            await options.onDead?.(event, error);
          } else {
            const delay = retryDelayMs(row.attempts, 500, maxDelayMs, random);
            await options.db.query(
              `UPDATE outbox SET next_attempt_at = now() + make_interval(secs => $2), last_error = $3 WHERE id = $1`,
              [row.id, delay / 1000, message],
            );
          }
        }
      }),
    );
    // one statement (one commit) for the whole batch's successes
    if (delivered.length) {
      await options.db.query(
        `UPDATE outbox SET status = 'delivered', delivered_at = now(), last_error = NULL WHERE id = ANY($1)`,
        [delivered],
      );
    }
    return rows.length;
  }

  const poll = createPollLoop({
    runOnce,
    batchSize,
    idleMs: options.idleMs ?? 200,
    onError: (error) => options.log.warn({ err: error }, 'outbox dispatch failed'),
  });
  return { runOnce, start: poll.start, stop: poll.stop };
}

/** Delete delivered events older than the retention, in batches. */
export async function reapOutbox(db: Queryable, retentionS: number, batch = 500): Promise<number> {
  const { rowCount } = await db.query(
    `DELETE FROM outbox WHERE id IN (
       SELECT id FROM outbox WHERE status = 'delivered' AND delivered_at < now() - make_interval(secs => $1) LIMIT $2)`,
    [retentionS, batch],
  );
  return rowCount ?? 0;
}
