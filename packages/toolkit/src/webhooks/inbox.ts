/**
 * Processing the inbox with the shared batch dispatcher: claim `received`
 * rows in batches (FOR UPDATE SKIP LOCKED, a short lease), hand each to the
 * source's handler, record processed / ignored with a reason in one statement
 * per batch; failures retry with jittered backoff, then the row is `failed`
 * (and the caller's hook records a dead letter).
 */
import { type Clock, systemClock } from '../ids/index.ts';
import { createBatchDispatcher } from '../jobs/index.ts';
import { type BackgroundErrors, inSpan, type Logger, SpanKind, type Tracer } from '../observability/index.ts';
import { deleteInBatches, type Queryable } from '../postgres/index.ts';
import type { WebhookMetrics } from './metrics.ts';
import { webhooksMigrations } from './migrations.ts';

export interface InboxRow {
  id: string;
  source: string;
  webhookId: string;
  eventType: string | null;
  payload: Record<string, unknown> | null;
  attempts: number;
  receivedAt: Date;
  /** the intake request's span (its processing span is a child), if any */
  traceparent: string | null;
}

export type HandlerOutcome = { status: 'processed' | 'ignored'; reason?: string };

export interface InboxProcessorOptions {
  db: Queryable;
  log: Logger;
  errors: BackgroundErrors;
  metrics: WebhookMetrics;
  handle: (row: InboxRow) => Promise<HandlerOutcome>;
  onFailed?: (row: InboxRow, error: unknown) => Promise<void>;
  batchSize?: number;
  maxAttempts?: number;
  maxDelayMs?: number;
  idleMs?: number;
  random?: () => number;
  clock?: Clock;
  /** tracing on: one CONSUMER span per processing, a child of the intake request's span */
  tracer?: Tracer;
}

export function createInboxProcessor(options: InboxProcessorOptions) {
  const clock = options.clock ?? systemClock;
  const { tracer } = options;
  const handle = !tracer
    ? options.handle
    : (row: InboxRow) =>
        inSpan(
          tracer,
          `webhook process ${row.source}`,
          {
            kind: SpanKind.CONSUMER,
            parent: row.traceparent,
            attributes: {
              'steadfast.webhook.source': row.source,
              'steadfast.webhook.id': row.webhookId,
              'steadfast.webhook.inbox_id': row.id,
              'steadfast.webhook.attempt': row.attempts,
              ...(row.eventType ? { 'steadfast.webhook.event_type': row.eventType } : {}),
            },
          },
          async (span) => {
            const outcome = await options.handle(row);
            span?.setAttribute('steadfast.webhook.outcome', outcome.status);
            if (outcome.reason) span?.setAttribute('steadfast.webhook.reason', outcome.reason);
            return outcome;
          },
        );

  /** Record many outcomes with one statement (one commit per batch, not per row). */
  async function finish(db: Queryable, done: { row: InboxRow; status: string; reason: string | null }[]) {
    await db.query(
      `UPDATE webhook_inbox w SET status = v.status, reason = v.reason, processed_at = now()
       FROM unnest($1::text[], $2::text[], $3::text[]) AS v(id, status, reason) WHERE w.id = v.id`,
      [done.map((d) => d.row.id), done.map((d) => d.status), done.map((d) => d.reason)],
    );
    for (const d of done) {
      options.metrics.lag.observe(
        { source: d.row.source, outcome: d.status },
        (clock.now() - d.row.receivedAt.getTime()) / 1000,
      );
    }
  }

  return createBatchDispatcher<InboxRow, HandlerOutcome>({
    db: options.db,
    errors: options.errors,
    name: 'webhook-inbox',
    table: 'webhook_inbox',
    claimable: `status = 'received'`,
    columns: 'id, source, webhook_id, event_type, payload, attempts, received_at, traceparent',
    errorColumn: 'reason',
    toItem: (r) => ({
      id: r.id as string,
      source: r.source as string,
      webhookId: r.webhook_id as string,
      eventType: r.event_type as string | null,
      payload: r.payload as Record<string, unknown> | null,
      attempts: r.attempts as number,
      receivedAt: r.received_at as Date,
      traceparent: (r.traceparent as string | null) ?? null,
    }),
    handle,
    complete: (db, done) =>
      finish(
        db,
        done.map(({ item, outcome }) => ({
          row: item,
          status: outcome.status,
          reason: outcome.reason ?? null,
        })),
      ),
    exhausted: async (db, row, error) => {
      const message = error instanceof Error ? error.message : String(error);
      await finish(db, [{ row, status: 'failed', reason: message }]);
      options.log.error({ inboxId: row.id, source: row.source, err: error }, 'webhook event failed');
      await options.onFailed?.(row, error);
    },
    batchSize: options.batchSize,
    maxAttempts: options.maxAttempts,
    maxDelayMs: options.maxDelayMs,
    idleMs: options.idleMs ?? 100,
    random: options.random,
    requires: { migrations: webhooksMigrations, exportName: 'webhooksMigrations' },
  });
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
export function reapInbox(db: Queryable, retentionS: number, batchSize = 500): Promise<number> {
  return deleteInBatches(db, {
    table: 'webhook_inbox',
    where: `status <> 'received' AND received_at < now() - make_interval(secs => $1)`,
    params: [retentionS],
    batchSize,
  });
}
