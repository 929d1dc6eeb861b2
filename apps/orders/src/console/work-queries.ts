/**
 * What the console's "work in flight" page reads: operations by status and
 * age (open ones older than `stuckAfterMs` are stuck), the webhook inbox (lag
 * of the oldest unprocessed delivery, failures, reasons for ignoring), the
 * outbox backlog and the open dead letters by task. Every query is an
 * aggregate over an index or a short, limited list: cheap with a large history.
 */
import type { Pool } from '@steadfast/toolkit/postgres';

export interface WorkSnapshot {
  operations: {
    open: Array<{ status: string; count: number; oldestAgeMs: number }>;
    finishedLastHour: Array<{ status: string; count: number }>;
    oldest: Array<{
      id: string;
      tenantId: string;
      kind: string;
      status: string;
      resource: string | null;
      ageMs: number;
      lastError: string | null;
      stuck: boolean;
    }>;
  };
  inbox: {
    pending: number;
    lagMs: number;
    failed: number;
    ignoredLastDay: Array<{ reason: string; count: number }>;
    recentFailures: Array<{
      id: string;
      webhookId: string;
      eventType: string | null;
      reason: string | null;
      ageMs: number;
    }>;
  };
  outbox: { pending: number; oldestAgeMs: number; dead: number };
  deadLetters: Array<{ task: string; count: number; lastFailedAgeMs: number }>;
}

const ms = (value: unknown) => Number(value ?? 0);

export async function readWork(
  db: Pool,
  options: { now: number; stuckAfterMs: number },
): Promise<WorkSnapshot> {
  const now = options.now;
  const at = new Date(now);
  // one connection, one query after another: an operator's refresh never takes more than one slot of the pool
  const c = await db.connect();
  // biome-ignore lint/suspicious/noExplicitAny: the rows of nine different queries, read field by field below
  const results: Array<{ rows: any[] }> = [];
  try {
    for (const query of [
      () =>
        c.query(
          `SELECT status, count(*)::int AS count, (extract(epoch FROM $1::timestamptz - min(created_at)) * 1000)::bigint AS age
         FROM operations WHERE status IN ('pending', 'running') GROUP BY status ORDER BY status`,
          [at],
        ),
      () =>
        c.query(
          `SELECT status, count(*)::int AS count FROM operations
        WHERE finished_at > $1::timestamptz - interval '1 hour' GROUP BY status ORDER BY status`,
          [at],
        ),
      () =>
        c.query(
          `SELECT id, tenant_id, kind, status, resource, last_error,
              (extract(epoch FROM $1::timestamptz - created_at) * 1000)::bigint AS age
         FROM operations WHERE status IN ('pending', 'running') ORDER BY created_at LIMIT 20`,
          [at],
        ),
      () =>
        c.query(
          `SELECT count(*)::int AS count, (extract(epoch FROM $1::timestamptz - min(received_at)) * 1000)::bigint AS lag
         FROM webhook_inbox WHERE status = 'received'`,
          [at],
        ),
      () => c.query(`SELECT count(*)::int AS count FROM webhook_inbox WHERE status = 'failed'`),
      () =>
        c.query(
          `SELECT coalesce(reason, '(none)') AS reason, count(*)::int AS count FROM webhook_inbox
        WHERE status = 'ignored' AND received_at > $1::timestamptz - interval '1 day'
        GROUP BY 1 ORDER BY 2 DESC LIMIT 10`,
          [at],
        ),
      () =>
        c.query(
          `SELECT id, webhook_id, event_type, reason, (extract(epoch FROM $1::timestamptz - received_at) * 1000)::bigint AS age
         FROM webhook_inbox WHERE status = 'failed' ORDER BY id DESC LIMIT 10`,
          [at],
        ),
      () =>
        c.query(
          `SELECT count(*) FILTER (WHERE status = 'pending')::int AS pending, count(*) FILTER (WHERE status = 'dead')::int AS dead,
              (extract(epoch FROM $1::timestamptz - min(created_at) FILTER (WHERE status = 'pending')) * 1000)::bigint AS age
         FROM outbox WHERE status IN ('pending', 'dead')`,
          [at],
        ),
      () =>
        c.query(
          `SELECT task, count(*)::int AS count, (extract(epoch FROM $1::timestamptz - max(last_failed_at)) * 1000)::bigint AS age
         FROM dead_letters WHERE status = 'dead' GROUP BY task ORDER BY 2 DESC`,
          [at],
        ),
    ])
      results.push(await query());
  } finally {
    c.release();
  }
  const [open, finished, oldest, inboxPending, inboxFailed, ignored, failures, outbox, dead] = results;
  return {
    operations: {
      open: open.rows.map((r) => ({ status: r.status, count: r.count, oldestAgeMs: ms(r.age) })),
      finishedLastHour: finished.rows.map((r) => ({ status: r.status, count: r.count })),
      oldest: oldest.rows.map((r) => ({
        id: r.id,
        tenantId: r.tenant_id,
        kind: r.kind,
        status: r.status,
        resource: r.resource,
        ageMs: ms(r.age),
        lastError: r.last_error
          ? (r.last_error.title ?? r.last_error.type ?? JSON.stringify(r.last_error))
          : null,
        stuck: ms(r.age) > options.stuckAfterMs,
      })),
    },
    inbox: {
      pending: inboxPending.rows[0].count,
      lagMs: ms(inboxPending.rows[0].lag),
      failed: inboxFailed.rows[0].count,
      ignoredLastDay: ignored.rows.map((r) => ({ reason: r.reason, count: r.count })),
      recentFailures: failures.rows.map((r) => ({
        id: r.id,
        webhookId: r.webhook_id,
        eventType: r.event_type,
        reason: r.reason,
        ageMs: ms(r.age),
      })),
    },
    outbox: {
      pending: outbox.rows[0].pending,
      oldestAgeMs: ms(outbox.rows[0].age),
      dead: outbox.rows[0].dead,
    },
    deadLetters: dead.rows.map((r) => ({ task: r.task, count: r.count, lastFailedAgeMs: ms(r.age) })),
  };
}
