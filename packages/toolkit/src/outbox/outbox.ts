/**
 * The transactional outbox: an event is a row written in the same transaction
 * as the change it announces (one cheap INSERT — never a job per event), and
 * a dispatcher (the shared batch dispatcher) delivers due rows in batches,
 * retries failures with jittered backoff, and finally marks them dead —
 * counted, logged and visible for replay.
 */
import { createBatchDispatcher } from '../jobs/index.ts';
import {
  activeTraceparent,
  type BackgroundErrors,
  inSpan,
  type Logger,
  SpanKind,
  type Tracer,
} from '../observability/index.ts';
import { deleteInBatches, type Queryable } from '../postgres/index.ts';
import { outboxMigrations } from './migrations.ts';

export interface OutboxEvent {
  id: string;
  tenantId: string;
  type: string;
  payload: Record<string, unknown>;
  attempts: number;
  createdAt: string;
  /** the span that wrote it (its delivery span is a child), if any */
  traceparent: string | null;
}

export async function writeOutboxEvent(
  db: Queryable,
  event: {
    id: string;
    tenantId: string;
    type: string;
    payload: Record<string, unknown>;
    /** default: the active span's */
    traceparent?: string | null;
  },
): Promise<void> {
  const traceparent = event.traceparent === undefined ? activeTraceparent() : event.traceparent;
  await db.query(
    'INSERT INTO outbox (id, tenant_id, type, payload, traceparent) VALUES ($1, $2, $3, $4, $5)',
    [event.id, event.tenantId, event.type, JSON.stringify(event.payload), traceparent ?? null],
  );
}

export interface DispatcherOptions {
  db: Queryable;
  deliver: (event: OutboxEvent) => Promise<void>;
  log: Logger;
  errors: BackgroundErrors;
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
  /** tracing on: one CONSUMER span per delivery, a child of the span that wrote the event */
  tracer?: Tracer;
}

export function createOutboxDispatcher(options: DispatcherOptions) {
  const { tracer } = options;
  const deliver = !tracer
    ? options.deliver
    : (event: OutboxEvent) =>
        inSpan(
          tracer,
          `outbox deliver ${event.type}`,
          {
            kind: SpanKind.CONSUMER,
            parent: event.traceparent,
            attributes: {
              'steadfast.outbox.event_id': event.id,
              'steadfast.outbox.type': event.type,
              'steadfast.outbox.attempt': event.attempts,
            },
          },
          () => options.deliver(event),
        );
  return createBatchDispatcher<OutboxEvent, void>({
    db: options.db,
    errors: options.errors,
    name: 'outbox',
    table: 'outbox',
    claimable: `status = 'pending'`,
    columns: 'id, tenant_id, type, payload, attempts, created_at, traceparent',
    errorColumn: 'last_error',
    toItem: (row) => ({
      id: row.id as string,
      tenantId: row.tenant_id as string,
      type: row.type as string,
      payload: row.payload as Record<string, unknown>,
      attempts: row.attempts as number,
      createdAt: (row.created_at as Date).toISOString(),
      traceparent: (row.traceparent as string | null) ?? null,
    }),
    handle: deliver,
    // one statement (one commit) for the whole batch's successes
    complete: async (db, done) => {
      await db.query(
        `UPDATE outbox SET status = 'delivered', delivered_at = now(), last_error = NULL WHERE id = ANY($1)`,
        [done.map((d) => d.item.id)],
      );
    },
    exhausted: async (db, event, error) => {
      const message = error instanceof Error ? error.message : String(error);
      await db.query(`UPDATE outbox SET status = 'dead', last_error = $2 WHERE id = $1`, [event.id, message]);
      options.log.error({ eventId: event.id, type: event.type, err: error }, 'outbox event dead');
      await options.onDead?.(event, error);
    },
    isBackPressure: options.isBackPressure,
    backPressureDelayMs: options.backPressureDelayMs,
    batchSize: options.batchSize,
    maxAttempts: options.maxAttempts,
    maxDelayMs: options.maxDelayMs,
    leaseMs: options.claimMs,
    idleMs: options.idleMs,
    random: options.random,
    requires: { migrations: outboxMigrations, exportName: 'outboxMigrations' },
  });
}

/** Put a dead event back in the queue with fresh attempts (replay); undefined when it is unknown or not dead. */
export async function requeueOutboxEvent(db: Queryable, id: string): Promise<{ id: string } | undefined> {
  const { rows } = await db.query<{ id: string }>(
    `UPDATE outbox SET status = 'pending', attempts = 0, next_attempt_at = now() WHERE id = $1 AND status = 'dead'
     RETURNING id`,
    [id],
  );
  return rows[0];
}

/** Delete delivered events older than the retention, in batches. */
export function reapOutbox(db: Queryable, retentionS: number, batchSize = 500): Promise<number> {
  return deleteInBatches(db, {
    table: 'outbox',
    where: `status = 'delivered' AND delivered_at < now() - make_interval(secs => $1)`,
    params: [retentionS],
    batchSize,
  });
}
