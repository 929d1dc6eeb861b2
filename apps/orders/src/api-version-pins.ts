/**
 * Each tenant's pinned API version: read through a short per-process cache
 * (never a query per request; a change made on another instance is seen
 * within `ttlMs`, one made here at once), written by tenant creation and by
 * `PUT /v1/api-version`. A tenant without a pin speaks the first version: it
 * was created before versions existed, and its clients must keep working.
 */
import type { Clock } from '@steadfast/toolkit/ids';
import type { Queryable } from '@steadfast/toolkit/postgres';
import { FIRST_VERSION } from './api-versions.ts';

export interface VersionPin {
  version: string;
  /** false: no pin stored, the first version applies */
  pinned: boolean;
  pinnedAt: string | null;
}

export function createVersionPins(options: {
  db: Queryable;
  clock: Clock;
  ttlMs?: number;
  maxTenants?: number;
}) {
  const { db, clock } = options;
  const ttlMs = options.ttlMs ?? 10_000;
  const maxTenants = options.maxTenants ?? 10_000;
  // the promise is cached, not only the value: a burst of a tenant's first requests asks once
  const cache = new Map<string, { pin: Promise<VersionPin>; until: number }>();

  async function read(tenantId: string): Promise<VersionPin> {
    const { rows } = await db.query<{ version: string; pinned_at: Date }>(
      'SELECT version, pinned_at FROM tenant_api_versions WHERE tenant_id = $1',
      [tenantId],
    );
    return rows[0]
      ? { version: rows[0].version, pinned: true, pinnedAt: rows[0].pinned_at.toISOString() }
      : { version: FIRST_VERSION, pinned: false, pinnedAt: null };
  }
  function remember(tenantId: string, pin: Promise<VersionPin>) {
    if (cache.size >= maxTenants && !cache.has(tenantId)) cache.delete(cache.keys().next().value as string);
    cache.set(tenantId, { pin, until: clock.now() + ttlMs });
    // a failed read is not remembered: the next request asks again
    pin.catch(() => {
      if (cache.get(tenantId)?.pin === pin) cache.delete(tenantId);
    });
  }

  return {
    /** the pin of a tenant, from the cache when fresh */
    async pinOf(tenantId: string): Promise<VersionPin> {
      const hit = cache.get(tenantId);
      if (hit && hit.until > clock.now()) return hit.pin;
      const pin = read(tenantId);
      remember(tenantId, pin);
      return pin;
    },
    /** pin a tenant (the caller checked the version is a supported one) */
    async pin(tenantId: string, version: string, tx: Queryable = db): Promise<VersionPin> {
      const { rows } = await tx.query<{ pinned_at: Date }>(
        `INSERT INTO tenant_api_versions (tenant_id, version, pinned_at) VALUES ($1, $2, now())
         ON CONFLICT (tenant_id) DO UPDATE SET version = excluded.version, pinned_at = excluded.pinned_at
         RETURNING pinned_at`,
        [tenantId, version],
      );
      const pin = { version, pinned: true, pinnedAt: rows[0].pinned_at.toISOString() };
      remember(tenantId, Promise.resolve(pin));
      return pin;
    },
  };
}

export type VersionPins = ReturnType<typeof createVersionPins>;

/** pin a new tenant to the newest version (tenant creation: the CLI, the demo tenant) */
export async function pinNewTenant(db: Queryable, tenantId: string, version: string): Promise<void> {
  await db.query(
    'INSERT INTO tenant_api_versions (tenant_id, version) VALUES ($1, $2) ON CONFLICT (tenant_id) DO NOTHING',
    [tenantId, version],
  );
}
