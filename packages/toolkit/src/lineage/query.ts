/**
 * Reading lineage back: the requests and attempts matching any of the given
 * ids, keys, refs or key prefixes — bounded by `limit` per table, newest
 * first — and the retention reaper.
 */
import { deleteInBatches, type Queryable, type TenantScope, tenantParam } from '../postgres/index.ts';
import type { IdempotencyOutcome } from './recorder.ts';

export interface LineageQuery {
  requestIds?: string[];
  idempotencyKeys?: string[];
  /** requests whose refs hold any of these ids */
  refs?: string[];
  /** attempts whose outbound key starts with any of these (at most 20) */
  keyPrefixes?: string[];
  /**
   * a tenant sees its own requests and the attempts those requests made (by
   * request id) only; `ALL_TENANTS` (operators) sees everything that matches
   */
  tenantId: TenantScope;
  /** rows per table at most (newest first) */
  limit: number;
}

export interface LineageRequestRow {
  at: Date;
  requestId: string;
  tenantId: string | null;
  method: string;
  route: string;
  status: number;
  durationMs: number;
  idempotencyKey: string | null;
  idempotencyOutcome: IdempotencyOutcome | null;
  refs: string[];
}

export interface LineageAttemptRow {
  at: Date;
  requestId: string | null;
  dependency: string;
  method: string;
  route: string;
  status: number | null;
  durationMs: number;
  attempt: number;
  kind: string;
  outcome: string;
  rejectedBy: string | null;
  error: string | null;
  idempotencyKey: string | null;
}

export interface LineageResult {
  requests: LineageRequestRow[];
  attempts: LineageAttemptRow[];
  /** true when a table had more matching rows than `limit` */
  truncated: boolean;
}

const MAX_PREFIXES = 20;

const escapeLike = (prefix: string) => `${prefix.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

export async function findLineage(db: Queryable, query: LineageQuery): Promise<LineageResult> {
  const tenant = tenantParam(query.tenantId);
  const limit = Math.max(1, Math.min(query.limit, 10_000));
  const requestIds = query.requestIds ?? [];
  const keys = query.idempotencyKeys ?? [];
  const refs = query.refs ?? [];
  const prefixes = (query.keyPrefixes ?? []).filter((p) => p.length > 0);
  if (prefixes.length > MAX_PREFIXES) throw new Error(`findLineage: at most ${MAX_PREFIXES} key prefixes`);

  const requests = await db.query<LineageRequestRow>(
    `SELECT at, request_id AS "requestId", tenant_id AS "tenantId", method, route, status,
            duration_ms AS "durationMs", idempotency_key AS "idempotencyKey",
            idempotency_outcome AS "idempotencyOutcome", refs
     FROM lineage_requests
     WHERE (request_id = ANY($1::text[]) OR idempotency_key = ANY($2::text[]) OR refs && $3::text[])
       AND ($4::text IS NULL OR tenant_id = $4)
     ORDER BY at DESC, id DESC LIMIT $5`,
    [requestIds, keys, refs, tenant, limit + 1],
  );
  const requestRows = requests.rows.slice(0, limit);
  const ownRequestIds = [...new Set(requestRows.map((r) => r.requestId))];

  // a tenant: only the attempts its own requests made; operators: every match
  const byRequest = tenant === null ? [...new Set([...requestIds, ...ownRequestIds])] : ownRequestIds;
  const conditions = ['request_id = ANY($1::text[])'];
  const params: unknown[] = [byRequest];
  if (tenant === null) {
    params.push(keys);
    conditions.push(`idempotency_key = ANY($${params.length}::text[])`);
    for (const prefix of prefixes) {
      params.push(escapeLike(prefix));
      conditions.push(`idempotency_key LIKE $${params.length}`);
    }
  }
  params.push(limit + 1);
  const attempts = await db.query<LineageAttemptRow>(
    `SELECT at, request_id AS "requestId", dependency, method, route, status, duration_ms AS "durationMs",
            attempt, kind, outcome, rejected_by AS "rejectedBy", error, idempotency_key AS "idempotencyKey"
     FROM lineage_attempts
     WHERE ${conditions.join(' OR ')}
     ORDER BY at DESC, id DESC LIMIT $${params.length}`,
    params,
  );
  return {
    requests: requestRows,
    attempts: attempts.rows.slice(0, limit),
    truncated: requests.rows.length > limit || attempts.rows.length > limit,
  };
}

/** Delete lineage older than `olderThan`, in batches; returns how many rows went. */
export async function reapLineage(
  db: Queryable,
  options: { olderThan: Date; batchSize?: number },
): Promise<number> {
  const spec = { where: 'at < $1', params: [options.olderThan], batchSize: options.batchSize ?? 1000 };
  const requests = await deleteInBatches(db, { table: 'lineage_requests', ...spec });
  const attempts = await deleteInBatches(db, { table: 'lineage_attempts', ...spec });
  return requests + attempts;
}
