/** Dead letters: jobs that failed permanently or ran out of attempts, kept for inspection and replay. */
import { type Queryable, type TenantScope, tenantParam } from '../postgres/index.ts';

export interface DeadLetter {
  id: string;
  tenantId: string | null;
  task: string;
  payload: Record<string, unknown>;
  attempts: number;
  errorCategory: string;
  errorMessage: string;
  status: 'dead' | 'replayed' | 'discarded';
  discardReason: string | null;
  firstFailedAt: string;
  lastFailedAt: string;
  replayedAt: string | null;
}

interface Row {
  id: string;
  tenant_id: string | null;
  task: string;
  payload: Record<string, unknown>;
  attempts: number;
  error_category: string;
  error_message: string;
  status: DeadLetter['status'];
  discard_reason: string | null;
  first_failed_at: Date;
  last_failed_at: Date;
  replayed_at: Date | null;
}

const toDeadLetter = (r: Row): DeadLetter => ({
  id: r.id,
  tenantId: r.tenant_id,
  task: r.task,
  payload: r.payload,
  attempts: r.attempts,
  errorCategory: r.error_category,
  errorMessage: r.error_message,
  status: r.status,
  discardReason: r.discard_reason,
  firstFailedAt: r.first_failed_at.toISOString(),
  lastFailedAt: r.last_failed_at.toISOString(),
  replayedAt: r.replayed_at?.toISOString() ?? null,
});

export async function insertDeadLetter(
  db: Queryable,
  d: Omit<DeadLetter, 'status' | 'discardReason' | 'replayedAt' | 'lastFailedAt'>,
): Promise<void> {
  await db.query(
    `INSERT INTO dead_letters (id, tenant_id, task, payload, attempts, error_category, error_message, first_failed_at, last_failed_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, now())`,
    [
      d.id,
      d.tenantId,
      d.task,
      JSON.stringify(d.payload),
      d.attempts,
      d.errorCategory,
      d.errorMessage.slice(0, 2000),
      d.firstFailedAt,
    ],
  );
}

/** A tenant sees its own; `ops` (tenantId undefined) sees everything, including system jobs. */
export async function listDeadLetters(
  db: Queryable,
  q: { tenantId: TenantScope; task?: string; status?: string; beforeId?: string; limit: number },
): Promise<DeadLetter[]> {
  const { rows } = await db.query<Row>(
    `SELECT * FROM dead_letters
     WHERE ($1::text IS NULL OR tenant_id = $1) AND ($2::text IS NULL OR task = $2)
       AND ($3::text IS NULL OR status = $3) AND ($4::text IS NULL OR id < $4)
     ORDER BY id DESC LIMIT $5`,
    [tenantParam(q.tenantId), q.task ?? null, q.status ?? null, q.beforeId ?? null, q.limit + 1],
  );
  return rows.map(toDeadLetter);
}

export async function findDeadLetter(
  db: Queryable,
  id: string,
  scope: TenantScope,
): Promise<DeadLetter | undefined> {
  const { rows } = await db.query<Row>(
    'SELECT * FROM dead_letters WHERE id = $1 AND ($2::text IS NULL OR tenant_id = $2)',
    [id, tenantParam(scope)],
  );
  return rows[0] ? toDeadLetter(rows[0]) : undefined;
}

/** Move from `dead` to replayed/discarded; undefined when it was not `dead` any more. */
export async function closeDeadLetter(
  db: Queryable,
  id: string,
  to: 'replayed' | 'discarded',
  reason?: string,
): Promise<DeadLetter | undefined> {
  const { rows } = await db.query<Row>(
    `UPDATE dead_letters SET status = $2, discard_reason = $3,
       replayed_at = CASE WHEN $2 = 'replayed' THEN now() ELSE replayed_at END
     WHERE id = $1 AND status = 'dead' RETURNING *`,
    [id, to, reason ?? null],
  );
  return rows[0] ? toDeadLetter(rows[0]) : undefined;
}
