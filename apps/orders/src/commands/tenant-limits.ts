/**
 * `steadfast tenant limits <tenantId> [<class>=<limit>[/<windowS>] …] [--clear <class>]`:
 * a tenant's rate-limit overrides (arguments parsed and checked in cli.ts). Every web
 * process picks a change up within a few seconds (the overrides are reloaded, never
 * looked up per request). Without assignments it prints the tenant's effective quotas.
 */
import { createLogger } from '@steadfast/toolkit/observability';
import {
  clearRateLimitOverride,
  listRateLimitOverrides,
  setRateLimitOverride,
} from '@steadfast/toolkit/rate-limits';
import type { Config } from '../config.ts';
import { ROUTE_CLASSES, type RouteClass } from '../config-traffic.ts';
import { migrateApp } from '../migrations.ts';
import { openDatabase } from '../runtime/database.ts';

export interface TenantLimitsArgs {
  tenantId: string;
  set: { className: RouteClass; limit: number; windowS: number | undefined }[];
  clear: RouteClass[];
}

export async function runTenantLimits(config: Config, args: TenantLimitsArgs): Promise<number> {
  const logger = createLogger({ level: config.logLevel === 'info' ? 'warn' : config.logLevel });
  const db = await openDatabase(config, logger, { role: 'tool', poolMax: 2 });
  try {
    await migrateApp(db.pool);
    const { rowCount } = await db.pool.query('SELECT 1 FROM tenants WHERE id = $1', [args.tenantId]);
    if (!rowCount) {
      process.stderr.write(`steadfast tenant limits: no tenant ${args.tenantId}\n`);
      return 1;
    }
    const defaults = config.traffic.rateLimits;
    const windowS = defaults?.windowS ?? 1;
    for (const { className, limit, windowS: own } of args.set) {
      await setRateLimitOverride(
        db.pool,
        { partition: args.tenantId, className, limit, windowS: own ?? windowS },
        [...ROUTE_CLASSES],
      );
    }
    for (const className of args.clear)
      await clearRateLimitOverride(db.pool, { partition: args.tenantId, className });
    const overrides = (await listRateLimitOverrides(db.pool, { partition: args.tenantId })).map((o) => ({
      class: o.className,
      limit: o.limit,
      windowS: o.windowS,
    }));
    const effective = Object.fromEntries(
      ROUTE_CLASSES.map((className) => {
        const own = overrides.find((o) => o.class === className);
        return [
          className,
          own
            ? { limit: own.limit, windowS: own.windowS, source: 'override' }
            : defaults
              ? { limit: defaults.limits[className], windowS, source: 'default' }
              : { limit: null, windowS: null, source: 'off (RATE_LIMITS=off)' },
        ];
      }),
    );
    process.stdout.write(`${JSON.stringify({ tenantId: args.tenantId, limits: effective })}\n`);
    return 0;
  } finally {
    await db.close();
  }
}
