/** `steadfast tenant create <name> [--email <address>]` (the arguments are parsed and checked in cli.ts). */
import { createTenant } from '@steadfast/toolkit/auth';
import { createIdGenerator } from '@steadfast/toolkit/ids';
import { createLogger } from '@steadfast/toolkit/observability';
import { pinNewTenant } from '../api-version-pins.ts';
import { NEWEST_VERSION } from '../api-versions.ts';
import type { Config } from '../config.ts';
import { migrateApp } from '../migrations.ts';
import { openDatabase } from '../runtime/database.ts';

export interface TenantCreateArgs {
  name: string;
  email: string | undefined;
}

export async function runTenantCreate(config: Config, args: TenantCreateArgs): Promise<number> {
  const logger = createLogger({ level: config.logLevel === 'info' ? 'warn' : config.logLevel });
  const db = await openDatabase(config, logger, { role: 'tool', poolMax: 2 });
  try {
    await migrateApp(db.pool);
    const created = await createTenant(db.pool, createIdGenerator(), {
      name: args.name,
      contactEmail: args.email,
    });
    // a new tenant speaks the newest API version until it pins another (PUT /v1/api-version)
    await pinNewTenant(db.pool, created.tenantId, NEWEST_VERSION);
    process.stdout.write(`${JSON.stringify({ tenantId: created.tenantId, apiKey: created.apiKey })}\n`);
    return 0;
  } finally {
    await db.close();
  }
}
