/**
 * API keys: opaque `sf_…` strings shown once, stored only as SHA-256 hashes
 * with a short display prefix. Verification is cached briefly in memory so an
 * authenticated request costs no database round trip; a revoked key stops
 * working within the cache TTL (default 5 s).
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Clock } from '../ids/index.ts';
import { assertMigratedIfReachable, type Queryable } from '../postgres/index.ts';
import { authMigrations } from './migrations.ts';

export const API_KEY_PATTERN = /^[A-Za-z0-9_-]{20,200}$/;

export interface Principal {
  tenantId: string;
  keyId: string;
  scopes: string[];
}

export function generateApiKey(random: (size: number) => Buffer = randomBytes): string {
  return `sf_${random(32).toString('base64url')}`;
}

export function hashApiKey(key: string): Buffer {
  return createHash('sha256').update(key).digest();
}

export function displayPrefix(key: string): string {
  return key.slice(0, 7);
}

export interface ApiKeyVerifierOptions {
  db: Queryable;
  clock: Clock;
  cacheTtlMs?: number;
  maxEntries?: number;
}

export interface ApiKeyVerifier {
  verify(key: string): Promise<Principal | undefined>;
  /** forget cached verifications (e.g. right after revoking a key in this process) */
  clear(): void;
  /** rejects, naming the missing migration, when the auth tables are not there; false: the database did not answer */
  ready(): Promise<boolean>;
}

const LOOKUP = `
  UPDATE api_keys SET last_used_at = now()
  WHERE key_hash = $1 AND revoked_at IS NULL
  RETURNING id, tenant_id, scopes`;

export function createApiKeyVerifier(options: ApiKeyVerifierOptions): ApiKeyVerifier {
  const ttlMs = options.cacheTtlMs ?? 5000;
  const maxEntries = options.maxEntries ?? 10_000;
  const cache = new Map<string, { principal: Principal | undefined; expiresAt: number }>();
  const inflight = new Map<string, Promise<Principal | undefined>>();

  async function lookup(hash: Buffer, cacheKey: string): Promise<Principal | undefined> {
    const { rows } = await options.db.query<{ id: string; tenant_id: string; scopes: string[] }>(LOOKUP, [
      hash,
    ]);
    const principal = rows[0]
      ? { tenantId: rows[0].tenant_id, keyId: rows[0].id, scopes: rows[0].scopes }
      : undefined;
    if (cache.size >= maxEntries) cache.delete(cache.keys().next().value as string);
    // unknown keys are remembered for a shorter time, so a fresh key works quickly
    const ttl = principal ? ttlMs : Math.min(ttlMs, 1000);
    cache.set(cacheKey, { principal, expiresAt: options.clock.now() + ttl });
    return principal;
  }

  return {
    async verify(key) {
      if (!API_KEY_PATTERN.test(key)) return undefined;
      const hash = hashApiKey(key);
      const cacheKey = hash.toString('base64');
      const hit = cache.get(cacheKey);
      if (hit && hit.expiresAt > options.clock.now()) return hit.principal;
      let pending = inflight.get(cacheKey);
      if (!pending) {
        pending = lookup(hash, cacheKey).finally(() => inflight.delete(cacheKey));
        inflight.set(cacheKey, pending);
      }
      return pending;
    },
    clear: () => cache.clear(),
    ready: () => assertMigratedIfReachable(options.db, authMigrations, 'authMigrations'),
  };
}
