/**
 * API keys: opaque `sf_…` strings shown once, stored only as SHA-256 hashes
 * with a short display prefix. A key belongs to a tenant or to an operator.
 * Verification is cached briefly in memory so an authenticated request costs
 * no database round trip; revocation reaches every process at once through
 * `invalidate(keyId)` (see `listenForKeyChanges`), and the cache TTL (default
 * 5 s) is only the safety net. A cached verification never outlives the key's
 * `expires_at`.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Clock } from '../ids/index.ts';
import { assertMigratedIfReachable, type Queryable } from '../postgres/index.ts';
import { authMigrations } from './migrations.ts';

export const API_KEY_PATTERN = /^[A-Za-z0-9_-]{20,200}$/;

export interface TenantPrincipal {
  kind: 'tenant';
  tenantId: string;
  keyId: string;
  scopes: string[];
}

export interface OperatorPrincipal {
  kind: 'operator';
  operatorId: string;
  keyId: string;
  scopes: string[];
}

/** who a key belongs to: a tenant (its data only) or an operator (nobody's tenant) */
export type Principal = TenantPrincipal | OperatorPrincipal;

/** the owner of keys: exactly one of the two */
export type KeyOwner = { tenantId: string } | { operatorId: string };

export function generateApiKey(random: (size: number) => Buffer = randomBytes): string {
  return `sf_${random(32).toString('base64url')}`;
}

export function hashApiKey(key: string): Buffer {
  return createHash('sha256').update(key).digest();
}

export function displayPrefix(key: string): string {
  return key.slice(0, 7);
}

/** a scope string for per-principal data (idempotency keys, operations): the tenant id, or `operator:<id>` */
export function principalScope(principal: Principal): string {
  return principal.kind === 'tenant' ? principal.tenantId : `operator:${principal.operatorId}`;
}

export interface ApiKeyVerifierOptions {
  db: Queryable;
  clock: Clock;
  cacheTtlMs?: number;
  /** how long an unknown key is remembered (default min(cacheTtlMs, 1000)) */
  negativeTtlMs?: number;
  maxEntries?: number;
}

/** a cached answer: `principal` undefined = the key is unknown, revoked or expired */
export interface CachedVerification {
  principal: Principal | undefined;
}

export interface ApiKeyVerifier {
  verify(key: string): Promise<Principal | undefined>;
  /** the cached answer for this key, without a database round trip; undefined when not cached */
  peek(key: string): CachedVerification | undefined;
  /** forget the cached verification of one key (it was revoked, rotated or expired elsewhere) */
  invalidate(keyId: string): void;
  /** forget every cached verification (e.g. after missed notifications) */
  clear(): void;
  /** database lookups made so far (cache misses) */
  lookups(): number;
  /** rejects, naming the missing migration, when the auth tables are not there; false: the database did not answer */
  ready(): Promise<boolean>;
}

const LOOKUP = `
  UPDATE api_keys SET last_used_at = now()
  WHERE key_hash = $1 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > now())
  RETURNING id, tenant_id, operator_id, scopes,
    (extract(epoch FROM expires_at - now()) * 1000)::float8 AS expires_in_ms`;

interface KeyRow {
  id: string;
  tenant_id: string | null;
  operator_id: string | null;
  scopes: string[];
  expires_in_ms: number | null;
}

function principalOfRow(row: KeyRow): Principal {
  return row.tenant_id !== null
    ? { kind: 'tenant', tenantId: row.tenant_id, keyId: row.id, scopes: row.scopes }
    : { kind: 'operator', operatorId: row.operator_id as string, keyId: row.id, scopes: row.scopes };
}

export function createApiKeyVerifier(options: ApiKeyVerifierOptions): ApiKeyVerifier {
  const ttlMs = options.cacheTtlMs ?? 5000;
  const negativeTtlMs = options.negativeTtlMs ?? Math.min(ttlMs, 1000);
  const maxEntries = options.maxEntries ?? 10_000;
  const cache = new Map<string, { principal: Principal | undefined; expiresAt: number }>();
  const byKeyId = new Map<string, string>();
  const inflight = new Map<string, Promise<Principal | undefined>>();
  // bumped by every invalidation: a lookup that started before one does not cache its answer
  let generation = 0;
  let lookups = 0;

  function forget(cacheKey: string) {
    const entry = cache.get(cacheKey);
    if (entry?.principal) byKeyId.delete(entry.principal.keyId);
    cache.delete(cacheKey);
  }

  async function lookup(hash: Buffer, cacheKey: string): Promise<Principal | undefined> {
    const started = generation;
    lookups++;
    const { rows } = await options.db.query<KeyRow>(LOOKUP, [hash]);
    const principal = rows[0] ? principalOfRow(rows[0]) : undefined;
    if (started !== generation) return principal;
    if (cache.size >= maxEntries) forget(cache.keys().next().value as string);
    // unknown keys are remembered for a shorter time, so a fresh key works quickly
    let lifetimeMs = principal ? ttlMs : negativeTtlMs;
    const expiresInMs = rows[0]?.expires_in_ms;
    if (typeof expiresInMs === 'number') lifetimeMs = Math.min(lifetimeMs, expiresInMs);
    if (lifetimeMs <= 0) return principal;
    forget(cacheKey);
    cache.set(cacheKey, { principal, expiresAt: options.clock.now() + lifetimeMs });
    if (principal) byKeyId.set(principal.keyId, cacheKey);
    return principal;
  }

  function cached(key: string): { cacheKey: string; hit?: CachedVerification } {
    const cacheKey = hashApiKey(key).toString('base64');
    const hit = cache.get(cacheKey);
    if (!hit) return { cacheKey };
    if (hit.expiresAt > options.clock.now()) return { cacheKey, hit: { principal: hit.principal } };
    forget(cacheKey);
    return { cacheKey };
  }

  return {
    async verify(key) {
      if (!API_KEY_PATTERN.test(key)) return undefined;
      const { cacheKey, hit } = cached(key);
      if (hit) return hit.principal;
      let pending = inflight.get(cacheKey);
      if (!pending) {
        const started: Promise<Principal | undefined> = lookup(hashApiKey(key), cacheKey).finally(() => {
          if (inflight.get(cacheKey) === started) inflight.delete(cacheKey);
        });
        pending = started;
        inflight.set(cacheKey, started);
      }
      return pending;
    },
    peek(key) {
      if (!API_KEY_PATTERN.test(key)) return { principal: undefined };
      return cached(key).hit;
    },
    invalidate(keyId) {
      generation++;
      inflight.clear(); // a request from now on does not join a lookup that began before the change
      const cacheKey = byKeyId.get(keyId);
      if (cacheKey !== undefined) forget(cacheKey);
    },
    clear() {
      generation++;
      inflight.clear();
      cache.clear();
      byKeyId.clear();
    },
    lookups: () => lookups,
    ready: () => assertMigratedIfReachable(options.db, authMigrations, 'authMigrations'),
  };
}
