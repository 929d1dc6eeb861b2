/**
 * Per-partition quotas stored in the database (`rate_limit_overrides`). The
 * Postgres store reloads them every few seconds; nothing reads them per request.
 */
import type { Queryable } from '../postgres/index.ts';
import { assertPolicy, type RateLimitPolicies } from './policies.ts';

export interface RateLimitOverride {
  partition: string;
  className: string;
  limit: number;
  windowS: number;
}

/** Sets (or replaces) a partition's quota for one class; refuses unknown classes and bad numbers. */
export async function setRateLimitOverride(
  db: Queryable,
  override: RateLimitOverride,
  knownClasses: readonly string[],
): Promise<void> {
  const { partition, className, limit, windowS } = override;
  if (!knownClasses.includes(className))
    throw new Error(
      `rate limit override: unknown class ${JSON.stringify(className)} (known: ${knownClasses.join(', ')})`,
    );
  if (typeof partition !== 'string' || partition.length === 0)
    throw new Error('rate limit override: partition must be a non-empty string');
  assertPolicy(className, { limit, windowS });
  await db.query(
    `INSERT INTO rate_limit_overrides (partition, class, "limit", window_s) VALUES ($1, $2, $3, $4)
     ON CONFLICT (partition, class) DO UPDATE SET "limit" = excluded."limit", window_s = excluded.window_s, updated_at = now()`,
    [partition, className, limit, windowS],
  );
}

/** Removes a partition's override for one class; true when there was one. */
export async function clearRateLimitOverride(
  db: Queryable,
  key: { partition: string; className: string },
): Promise<boolean> {
  const { rowCount } = await db.query(
    'DELETE FROM rate_limit_overrides WHERE partition = $1 AND class = $2',
    [key.partition, key.className],
  );
  return (rowCount ?? 0) > 0;
}

/** Every override, or one partition's. */
export async function listRateLimitOverrides(
  db: Queryable,
  filter: { partition?: string } = {},
): Promise<RateLimitOverride[]> {
  const { rows } = await db.query(
    `SELECT partition, class, "limit", window_s FROM rate_limit_overrides
     WHERE $1::text IS NULL OR partition = $1 ORDER BY partition, class`,
    [filter.partition ?? null],
  );
  return rows.map((r) => ({
    partition: r.partition,
    className: r.class,
    limit: r.limit,
    windowS: r.window_s,
  }));
}

/** partition → class → policy, for the limiter (classes it does not know are skipped). */
export async function loadRateLimitOverrides(
  db: Queryable,
  knownClasses: readonly string[],
): Promise<Map<string, RateLimitPolicies>> {
  const out = new Map<string, RateLimitPolicies>();
  for (const o of await listRateLimitOverrides(db)) {
    if (!knownClasses.includes(o.className)) continue;
    const forPartition = out.get(o.partition) ?? {};
    forPartition[o.className] = { limit: o.limit, windowS: o.windowS };
    out.set(o.partition, forPartition);
  }
  return out;
}
