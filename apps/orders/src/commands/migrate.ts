/** `steadfast migrate`: apply pending migrations and exit. */

import { createLogger } from '@steadfast/toolkit/observability';
import type { Config } from '../config.ts';
import { migrateApp } from '../migrations.ts';
import { openDatabase } from '../runtime/database.ts';

export async function runMigrate(config: Config): Promise<number> {
  const logger = createLogger({ level: config.logLevel });
  const db = await openDatabase(config, logger, { role: 'tool', poolMax: 2 });
  try {
    const applied = await migrateApp(db.pool);
    process.stdout.write(`${JSON.stringify({ applied })}\n`);
    return 0;
  } finally {
    await db.close();
  }
}
