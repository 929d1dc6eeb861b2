/**
 * Async operations: a resource a client can watch while long work runs.
 * Every status change notifies `steadfast_operations` in the same
 * transaction, so waiters wake when it commits (LISTEN/NOTIFY, no polling).
 */
import { activeTraceparent } from '../observability/index.ts';
import { deleteInBatches, type Queryable, type TenantScope, tenantParam } from '../postgres/index.ts';

export type OperationStatus = 'pending' | 'running' | 'succeeded' | 'failed' | 'canceled';
export const TERMINAL: OperationStatus[] = ['succeeded', 'failed', 'canceled'];

export interface Operation {
  id: string;
  tenantId: string;
  kind: string;
  status: OperationStatus;
  resource: string | null;
  result: unknown;
  error: unknown;
  lastError: unknown;
  createdAt: string;
  updatedAt: string;
}

interface Row {
  id: string;
  tenant_id: string;
  kind: string;
  status: OperationStatus;
  resource: string | null;
  result: unknown;
  error: unknown;
  last_error: unknown;
  created_at: Date;
  updated_at: Date;
}

export const NOTIFY_CHANNEL = 'steadfast_operations';

const toOperation = (r: Row): Operation => ({
  id: r.id,
  tenantId: r.tenant_id,
  kind: r.kind,
  status: r.status,
  resource: r.resource,
  result: r.result,
  error: r.error,
  lastError: r.last_error,
  createdAt: r.created_at.toISOString(),
  updatedAt: r.updated_at.toISOString(),
});

export async function createOperation(
  db: Queryable,
  op: {
    id: string;
    tenantId: string;
    kind: string;
    resource?: string;
    /** the request that started it (request lineage) */
    requestId?: string;
    /** default: the active span's */
    traceparent?: string | null;
  },
): Promise<Operation> {
  const traceparent = op.traceparent === undefined ? activeTraceparent() : op.traceparent;
  const { rows } = await db.query<Row>(
    `INSERT INTO operations (id, tenant_id, kind, status, resource, request_id, traceparent)
     VALUES ($1, $2, $3, 'pending', $4, $5, $6) RETURNING *`,
    [op.id, op.tenantId, op.kind, op.resource ?? null, op.requestId ?? null, traceparent ?? null],
  );
  return toOperation(rows[0]);
}

export async function findOperation(
  db: Queryable,
  id: string,
  scope: TenantScope,
): Promise<Operation | undefined> {
  const { rows } = await db.query<Row>(
    'SELECT * FROM operations WHERE id = $1 AND ($2::text IS NULL OR tenant_id = $2)',
    [id, tenantParam(scope)],
  );
  return rows[0] ? toOperation(rows[0]) : undefined;
}

export async function listOperations(
  db: Queryable,
  q: { tenantId: string; status?: string; kind?: string; beforeId?: string; limit: number },
): Promise<Operation[]> {
  const { rows } = await db.query<Row>(
    `SELECT * FROM operations WHERE tenant_id = $1 AND ($2::text IS NULL OR status = $2)
       AND ($3::text IS NULL OR kind = $3) AND ($4::text IS NULL OR id < $4)
     ORDER BY id DESC LIMIT $5`,
    [q.tenantId, q.status ?? null, q.kind ?? null, q.beforeId ?? null, q.limit + 1],
  );
  return rows.map(toOperation);
}

/**
 * Change an operation that has not ended yet (terminal states are final);
 * returns the new state, or undefined when it had already ended.
 */
export async function updateOperation(
  db: Queryable,
  id: string,
  change: { status?: OperationStatus; result?: unknown; error?: unknown; lastError?: unknown },
): Promise<Operation | undefined> {
  const { rows } = await db.query<Row>(
    `WITH changed AS (
       UPDATE operations SET
         status = coalesce($2, status),
         result = coalesce($3::jsonb, result),
         error = coalesce($4::jsonb, error),
         last_error = CASE WHEN $5::jsonb IS NULL THEN last_error ELSE $5::jsonb END,
         updated_at = now(),
         finished_at = CASE WHEN coalesce($2, status) IN ('succeeded', 'failed', 'canceled') THEN now() ELSE NULL END
       WHERE id = $1 AND status NOT IN ('succeeded', 'failed', 'canceled')
       RETURNING *)
     SELECT changed.*, pg_notify('${NOTIFY_CHANNEL}', changed.id) FROM changed`,
    [
      id,
      change.status ?? null,
      change.result === undefined ? null : JSON.stringify(change.result),
      change.error === undefined ? null : JSON.stringify(change.error),
      change.lastError === undefined ? null : JSON.stringify(change.lastError),
    ],
  );
  return rows[0] ? toOperation(rows[0]) : undefined;
}

/** Delete finished operations older than the retention, in batches. */
export function reapOperations(db: Queryable, retentionS: number, batchSize = 500): Promise<number> {
  return deleteInBatches(db, {
    table: 'operations',
    where: `finished_at < now() - make_interval(secs => $1)`,
    params: [retentionS],
    batchSize,
  });
}
