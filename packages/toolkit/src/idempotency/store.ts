/**
 * SQL of the idempotency key store. Every write is one statement; the claim
 * is an upsert that succeeds for a new key, for an expired record, and — with
 * the same fingerprint — for an in-flight claim whose lease ran out (takeover).
 */
import { deleteInBatches, type Queryable } from '../postgres/index.ts';

export interface KeyScope {
  tenantId: string;
  method: string;
  route: string;
  key: string;
}

export interface StoredResponse {
  status: number;
  headers: Record<string, string>;
  /** null when the body was over the storage limit */
  body: Buffer | null;
}

export interface KeyRecord {
  fingerprint: Buffer;
  state: 'in_flight' | 'completed';
  leaseExpired: boolean;
  /** past retention: counts as absent */
  expired: boolean;
  response: StoredResponse | undefined;
}

export interface ClaimResult {
  claimed: boolean;
  takenOver: boolean;
}

/**
 * Claim a new key for execution (committed at once, so others see it in
 * flight). ON CONFLICT DO NOTHING: a duplicate neither locks nor writes the
 * existing row, so a storm of retries costs no commits.
 */
export async function claimKey(
  db: Queryable,
  scope: KeyScope,
  fingerprint: Buffer,
  owner: string,
  leaseS: number,
  retentionS: number,
): Promise<boolean> {
  const { rowCount } = await db.query({
    name: 'idempotency.claim',
    text: `INSERT INTO idempotency_keys (tenant_id, method, route, key, fingerprint, state, owner,
             lease_expires_at, expires_at)
           VALUES ($1, $2, $3, $4, $5, 'in_flight', $6, now() + make_interval(secs => $7), now() + make_interval(secs => $8))
           ON CONFLICT (tenant_id, method, route, key) DO NOTHING`,
    values: [scope.tenantId, scope.method, scope.route, scope.key, fingerprint, owner, leaseS, retentionS],
  });
  return rowCount === 1;
}

/** Take over an in-flight claim with the same fingerprint whose owner let its lease run out. */
export async function takeOverKey(
  db: Queryable,
  scope: KeyScope,
  fingerprint: Buffer,
  owner: string,
  leaseS: number,
): Promise<boolean> {
  const { rowCount } = await db.query(
    `UPDATE idempotency_keys SET owner = $6, lease_expires_at = now() + make_interval(secs => $7),
       takeovers = takeovers + 1
     WHERE tenant_id = $1 AND method = $2 AND route = $3 AND key = $4 AND fingerprint = $5
       AND state = 'in_flight' AND lease_expires_at <= now() AND expires_at > now()`,
    [scope.tenantId, scope.method, scope.route, scope.key, fingerprint, owner, leaseS],
  );
  return rowCount === 1;
}

/** Delete one record past its retention (the key is then new). */
export async function deleteExpiredKey(db: Queryable, scope: KeyScope): Promise<void> {
  await db.query(
    `DELETE FROM idempotency_keys
     WHERE tenant_id = $1 AND method = $2 AND route = $3 AND key = $4 AND expires_at <= now()`,
    [scope.tenantId, scope.method, scope.route, scope.key],
  );
}

/**
 * The key insert of the one-statement fast path: a completed record with its
 * response, written by the same statement as the effect (`FROM claimed`).
 * Its parameters start at `$offset + 1`.
 */
export function completedKeyCte(offset: number): string {
  const p = (n: number) => `$${offset + n}`;
  return `claimed AS (
    INSERT INTO idempotency_keys (tenant_id, method, route, key, fingerprint, state, response_status,
      response_headers, response_body, completed_at, expires_at)
    VALUES (${p(1)}, ${p(2)}, ${p(3)}, ${p(4)}, ${p(5)}, 'completed', ${p(6)}, ${p(7)}, ${p(8)}, now(),
      now() + make_interval(secs => ${p(9)}))
    ON CONFLICT (tenant_id, method, route, key) DO NOTHING
    RETURNING 1
  )`;
}

export function completedKeyValues(
  scope: KeyScope,
  fingerprint: Buffer,
  response: StoredResponse,
  retentionS: number,
): unknown[] {
  return [
    scope.tenantId,
    scope.method,
    scope.route,
    scope.key,
    fingerprint,
    response.status,
    JSON.stringify(response.headers),
    response.body,
    retentionS,
  ];
}

/** a key row as SELECTed by the lookups */
export interface KeyRow {
  fingerprint: Buffer;
  state: 'in_flight' | 'completed';
  lease_expired: boolean;
  expired: boolean;
  response_status: number | null;
  response_headers: Record<string, string> | null;
  response_body: Buffer | null;
}

export function keyRecordOf(row: KeyRow): KeyRecord {
  return {
    fingerprint: row.fingerprint,
    state: row.state,
    leaseExpired: row.lease_expired,
    expired: row.expired,
    response:
      row.response_status === null
        ? undefined
        : { status: row.response_status, headers: row.response_headers ?? {}, body: row.response_body },
  };
}

export async function findKey(db: Queryable, scope: KeyScope): Promise<KeyRecord | undefined> {
  const { rows } = await db.query<KeyRow>({
    name: 'idempotency.find',
    text: `SELECT fingerprint, state, coalesce(lease_expires_at <= now(), false) AS lease_expired,
             expires_at <= now() AS expired, response_status, response_headers, response_body
           FROM idempotency_keys
           WHERE tenant_id = $1 AND method = $2 AND route = $3 AND key = $4`,
    values: [scope.tenantId, scope.method, scope.route, scope.key],
  });
  return rows[0] ? keyRecordOf(rows[0]) : undefined;
}

/** Store the response of a claim we still own; false when the claim was lost (taken over). */
export async function completeKey(
  db: Queryable,
  scope: KeyScope,
  owner: string,
  response: StoredResponse,
): Promise<boolean> {
  const result = await db.query({
    name: 'idempotency.complete',
    text: `UPDATE idempotency_keys SET state = 'completed', owner = NULL, lease_expires_at = NULL,
             response_status = $6, response_headers = $7, response_body = $8, completed_at = now()
           WHERE tenant_id = $1 AND method = $2 AND route = $3 AND key = $4 AND state = 'in_flight' AND owner = $5`,
    values: [
      scope.tenantId,
      scope.method,
      scope.route,
      scope.key,
      owner,
      response.status,
      JSON.stringify(response.headers),
      response.body,
    ],
  });
  return result.rowCount === 1;
}

/** Free a claim after a failure that must not be remembered, so a retry executes. */
export async function releaseKey(db: Queryable, scope: KeyScope, owner: string): Promise<void> {
  await db.query(
    `DELETE FROM idempotency_keys
     WHERE tenant_id = $1 AND method = $2 AND route = $3 AND key = $4 AND state = 'in_flight' AND owner = $5`,
    [scope.tenantId, scope.method, scope.route, scope.key, owner],
  );
}

/** Extend the lease of a claim that is still running. */
export async function renewLease(
  db: Queryable,
  scope: KeyScope,
  owner: string,
  leaseS: number,
): Promise<void> {
  await db.query(
    `UPDATE idempotency_keys SET lease_expires_at = now() + make_interval(secs => $6)
     WHERE tenant_id = $1 AND method = $2 AND route = $3 AND key = $4 AND state = 'in_flight' AND owner = $5`,
    [scope.tenantId, scope.method, scope.route, scope.key, owner, leaseS],
  );
}

/** Delete expired key records in small batches (short statements, no long locks); returns how many. */
export function reapExpiredKeys(db: Queryable, batchSize = 500, maxBatches = 100): Promise<number> {
  return deleteInBatches(db, {
    table: 'idempotency_keys',
    where: 'expires_at <= now()',
    batchSize,
    maxBatches,
  });
}
