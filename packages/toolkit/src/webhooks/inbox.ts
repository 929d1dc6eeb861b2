/**
 * Processing the inbox: claim `received` rows in batches (FOR UPDATE SKIP
 * LOCKED, a short lease), hand each to the source's handler, record
 * processed / ignored with a reason; failures retry with jittered backoff,
 * then the row is `failed` (and the caller's hook records a dead letter).
 */
import { createPollLoop } from '../jobs/poll-loop.ts';
import { retryDelayMs } from '../jobs/task.ts';
import type { Logger } from '../observability/index.ts';
import type { Queryable } from '../postgres/index.ts';
import type { WebhookMetrics } from './metrics.ts';

export interface InboxRow {
  id: string;
  source: string;
  webhookId: string;
  eventType: string | null;
  payload: Record<string, unknown> | null;
  attempts: number;
  receivedAt: Date;
}

export type HandlerOutcome = { status: 'processed' | 'ignored'; reason?: string };

export interface InboxProcessorOptions {
  db: Queryable;
  log: Logger;
  metrics: WebhookMetrics;
  handle: (row: InboxRow) => Promise<HandlerOutcome>;
  onFailed?: (row: InboxRow, error: unknown) => Promise<void>;
  batchSize?: number;
  maxAttempts?: number;
  maxDelayMs?: number;
  idleMs?: number;
  random?: () => number;
}

export function createInboxProcessor(options: InboxProcessorOptions) {
  const batchSize = options.batchSize ?? 50;
  const maxAttempts = options.maxAttempts ?? 8;
  const maxDelayMs = options.maxDelayMs ?? 60_000;

  /** Record many outcomes with one statement (one commit per batch, not per row). */
  async function finish(done: { row: InboxRow; status: string; reason: string | null }[]) {
    if (done.length === 0) return;
    await options.db.query(
      `UPDATE webhook_inbox w SET status = v.status, reason = v.reason, processed_at = now()
       FROM unnest($1::text[], $2::text[], $3::text[]) AS v(id, status, reason) WHERE w.id = v.id`,
      [done.map((d) => d.row.id), done.map((d) => d.status), done.map((d) => d.reason)],
    );
    for (const d of done) {
      options.metrics.lag.observe(
        { source: d.row.source, outcome: d.status },
        (Date.now() - d.row.receivedAt.getTime()) / 1000,
      );
    }
  }

  async function runOnce(): Promise<number> {
    const { rows } = await options.db.query<{
      id: string;
      source: string;
      webhook_id: string;
      event_type: string | null;
      payload: Record<string, unknown> | null;
      attempts: number;
      received_at: Date;
    }>(
      `UPDATE webhook_inbox SET attempts = attempts + 1, next_attempt_at = now() + interval '30 seconds'
       WHERE id IN (SELECT id FROM webhook_inbox WHERE status = 'received' AND next_attempt_at <= now()
                    ORDER BY next_attempt_at LIMIT $1 FOR UPDATE SKIP LOCKED)
       RETURNING id, source, webhook_id, event_type, payload, attempts, received_at`,
      [batchSize],
    );
    const done: { row: InboxRow; status: string; reason: string | null }[] = [];
    await Promise.all(
      rows.map(async (r) => {
        const row: InboxRow = {
          id: r.id,
          source: r.source,
          webhookId: r.webhook_id,
          eventType: r.event_type,
          payload: r.payload,
          attempts: r.attempts,
          receivedAt: r.received_at,
        };
        try {
          const outcome = await options.handle(row);
          done.push({ row, status: outcome.status, reason: outcome.reason ?? null });
        } catch (error) {
          const message = error instanceof Error ? error.message : String(error);
          if (row.attempts >= maxAttempts) {
            await finish([{ row, status: 'failed', reason: message }]);
            await options.onFailed?.(row, error);
          } else {
            const delay = retryDelayMs(row.attempts, 500, maxDelayMs, options.random);
            await options.db.query(
              `UPDATE webhook_inbox SET next_attempt_at = now() + make_interval(secs => $2), reason = $3 WHERE id = $1`,
              [row.id, delay / 1000, message],
            );
          }
        }
      }),
    );
    await finish(done);
    return rows.length;
  }

  const poll = createPollLoop({
    runOnce,
    batchSize,
    idleMs: options.idleMs ?? 100,
    onError: (error) => options.log.warn({ err: error }, 'webhook inbox processing failed'),
  });
  return { runOnce, start: poll.start, stop: poll.stop };
}

/** Put an inbox row back in the queue (replay); undefined when unknown. */
export async function requeueInboxRow(
  db: Queryable,
  id: string,
): Promise<{ id: string; status: string } | undefined> {
  const { rows } = await db.query<{ id: string; status: string }>(
    `UPDATE webhook_inbox SET status = 'received', attempts = 0, next_attempt_at = now(), reason = NULL, processed_at = NULL
     WHERE id = $1 RETURNING id, status`,
    [id],
  );
  return rows[0];
}

/** Delete handled rows older than the retention, in batches. */
export async function reapInbox(db: Queryable, retentionS: number, batch = 500): Promise<number> {
  const { rowCount } = await db.query(
    `DELETE FROM webhook_inbox WHERE id IN (SELECT id FROM webhook_inbox
       WHERE status <> 'received' AND received_at < now() - make_interval(secs => $1) LIMIT $2)`,
    [retentionS, batch],
  );
  return rowCount ?? 0;
}
