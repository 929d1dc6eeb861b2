/** `steadfast tenant create <name> [--ops] [--email <address>]` */
import { parseArgs } from 'node:util';
import { createTenant } from '@steadfast/toolkit/auth';
import { createIdGenerator } from '@steadfast/toolkit/ids';
import { createLogger } from '@steadfast/toolkit/observability';
import type { Config } from '../config.ts';
import { migrateApp } from '../migrations.ts';
import { openDatabase } from '../runtime/database.ts';

export async function runTenant(config: Config, argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { ops: { type: 'boolean', default: false }, email: { type: 'string' } },
  });
  const [sub, name] = positionals;
  if (sub !== 'create' || !name || name.length > 200) {
    process.stderr.write('usage: steadfast tenant create <name> [--ops] [--email <address>]\n');
    return 2;
  }
  const logger = createLogger({ level: config.logLevel === 'info' ? 'warn' : config.logLevel });
  const db = await openDatabase(config, logger, { role: 'tool', poolMax: 2 });
  try {
    await migrateApp(db.pool);
    const created = await createTenant(db.pool, createIdGenerator(), {
      name,
      contactEmail: values.email,
      scopes: values.ops ? ['ops'] : [],
    });
    process.stdout.write(`${JSON.stringify({ tenantId: created.tenantId, apiKey: created.apiKey })}\n`);
    return 0;
  } finally {
    await db.close();
  }
}
