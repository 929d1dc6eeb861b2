/**
 * The lifecycle of API keys, always scoped by their owner (a tenant or an
 * operator): create (the secret is returned once), list (never the hash),
 * revoke, rotate with an overlap window. Revoking and rotating notify
 * `API_KEYS_CHANNEL` in the same statement, so every process listening
 * (`listenForKeyChanges`) forgets its cached verification of that key at once.
 */
import type { IdGenerator } from '../ids/index.ts';
import type { Queryable } from '../postgres/index.ts';
import { API_KEY_PATTERN, displayPrefix, generateApiKey, hashApiKey, type KeyOwner } from './api-keys.ts';

/** the NOTIFY channel of key changes; the payload is the key id */
export const API_KEYS_CHANNEL = 'steadfast_api_keys';

export interface ApiKeyInfo {
  id: string;
  name: string | null;
  /** the first 7 characters of the key, to recognise it */
  prefix: string;
  scopes: string[];
  createdAt: string;
  lastUsedAt: string | null;
  expiresAt: string | null;
  revokedAt: string | null;
}

export interface CreatedApiKey extends ApiKeyInfo {
  /** the secret: shown once, only its SHA-256 hash is stored */
  apiKey: string;
}

export interface CreateApiKeyInput {
  name?: string;
  scopes?: string[];
  expiresAt?: Date;
  /** use this key instead of generating one (20–200 URL-safe characters) */
  apiKey?: string;
}

interface Row {
  id: string;
  name: string | null;
  prefix: string;
  scopes: string[];
  created_at: Date;
  last_used_at: Date | null;
  expires_at: Date | null;
  revoked_at: Date | null;
}

const COLUMNS = 'id, name, prefix, scopes, created_at, last_used_at, expires_at, revoked_at';

const toInfo = (r: Row): ApiKeyInfo => ({
  id: r.id,
  name: r.name,
  prefix: r.prefix,
  scopes: r.scopes,
  createdAt: r.created_at.toISOString(),
  lastUsedAt: r.last_used_at?.toISOString() ?? null,
  expiresAt: r.expires_at?.toISOString() ?? null,
  revokedAt: r.revoked_at?.toISOString() ?? null,
});

/** [tenant_id, operator_id] parameters; exactly one is set */
function ownerParams(owner: KeyOwner): [string | null, string | null] {
  if ('tenantId' in owner && typeof owner.tenantId === 'string' && owner.tenantId !== '')
    return [owner.tenantId, null];
  if ('operatorId' in owner && typeof owner.operatorId === 'string' && owner.operatorId !== '')
    return [null, owner.operatorId];
  throw new Error('a key owner is { tenantId } or { operatorId }');
}

const OWNED = '(tenant_id = $2 OR operator_id = $3)';

export async function createApiKey(
  db: Queryable,
  ids: IdGenerator,
  input: KeyOwner & CreateApiKeyInput,
): Promise<CreatedApiKey> {
  const [tenantId, operatorId] = ownerParams(input);
  const apiKey = input.apiKey ?? generateApiKey();
  if (!API_KEY_PATTERN.test(apiKey)) throw new Error('API keys are 20-200 URL-safe characters');
  const { rows } = await db.query<Row>(
    `INSERT INTO api_keys (id, tenant_id, operator_id, key_hash, prefix, scopes, name, expires_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING ${COLUMNS}`,
    [
      ids.next('key'),
      tenantId,
      operatorId,
      hashApiKey(apiKey),
      displayPrefix(apiKey),
      input.scopes ?? [],
      input.name ?? null,
      input.expiresAt ?? null,
    ],
  );
  return { ...toInfo(rows[0]), apiKey };
}

/** the owner's keys, newest first (revoked and expired ones included); `beforeId` pages on */
export async function listApiKeys(
  db: Queryable,
  owner: KeyOwner,
  page: { limit?: number; beforeId?: string } = {},
): Promise<ApiKeyInfo[]> {
  const { rows } = await db.query<Row>(
    `SELECT ${COLUMNS} FROM api_keys WHERE ($1::text IS NULL OR id < $1) AND ${OWNED}
     ORDER BY id DESC LIMIT $4`,
    [page.beforeId ?? null, ...ownerParams(owner), page.limit ?? 100],
  );
  return rows.map(toInfo);
}

/** one of the owner's keys; undefined when unknown or another owner's */
export async function findApiKey(
  db: Queryable,
  owner: KeyOwner,
  keyId: string,
): Promise<ApiKeyInfo | undefined> {
  const { rows } = await db.query<Row>(`SELECT ${COLUMNS} FROM api_keys WHERE id = $1 AND ${OWNED}`, [
    keyId,
    ...ownerParams(owner),
  ]);
  return rows[0] ? toInfo(rows[0]) : undefined;
}

/** true when it revoked; false when the key is unknown, another owner's, or already revoked */
export async function revokeApiKey(db: Queryable, owner: KeyOwner, keyId: string): Promise<boolean> {
  const { rows } = await db.query(
    `WITH revoked AS (
       UPDATE api_keys SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL AND ${OWNED} RETURNING id)
     SELECT pg_notify('${API_KEYS_CHANNEL}', id) FROM revoked`,
    [keyId, ...ownerParams(owner)],
  );
  return rows.length === 1;
}

export interface RotatedApiKey {
  /** the new key, with the old one's name and scopes */
  created: CreatedApiKey;
  /** the old key, now expiring at `expiresAt` */
  previous: ApiKeyInfo;
}

/**
 * A new key with the same name and scopes; the old one keeps working for
 * `overlapS` (default 86400; 0 = it stops at once). Undefined when the key is
 * unknown, another owner's, revoked or expired.
 */
export async function rotateApiKey(
  db: Queryable,
  ids: IdGenerator,
  owner: KeyOwner,
  keyId: string,
  options: { overlapS?: number } = {},
): Promise<RotatedApiKey | undefined> {
  const overlapS = options.overlapS ?? 86_400;
  if (!Number.isInteger(overlapS) || overlapS < 0) throw new Error('overlapS is a whole number ≥ 0');
  const apiKey = generateApiKey();
  const { rows } = await db.query<Row & { old: Row }>(
    `WITH old AS (
       UPDATE api_keys SET expires_at = LEAST(COALESCE(expires_at, 'infinity'), now() + make_interval(secs => $4))
       WHERE id = $1 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > now()) AND ${OWNED}
       RETURNING *),
     created AS (
       INSERT INTO api_keys (id, tenant_id, operator_id, key_hash, prefix, scopes, name)
       SELECT $5, tenant_id, operator_id, $6, $7, scopes, name FROM old RETURNING ${COLUMNS})
     SELECT created.*, row_to_json(old) AS old, pg_notify('${API_KEYS_CHANNEL}', old.id) FROM created, old`,
    [keyId, ...ownerParams(owner), overlapS, ids.next('key'), hashApiKey(apiKey), displayPrefix(apiKey)],
  );
  const row = rows[0];
  if (!row) return undefined;
  const old = row.old as unknown as Record<string, string | null> & { scopes: string[] };
  const date = (value: string | null) => (value === null ? null : new Date(value));
  return {
    created: { ...toInfo(row), apiKey },
    previous: toInfo({
      id: old.id as string,
      name: old.name,
      prefix: old.prefix as string,
      scopes: old.scopes,
      created_at: date(old.created_at) as Date,
      last_used_at: date(old.last_used_at),
      expires_at: date(old.expires_at),
      revoked_at: date(old.revoked_at),
    }),
  };
}
