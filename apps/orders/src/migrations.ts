/**
 * Every migration the reference app needs, in order: the toolkit blocks'
 * tables, then the app's own files in `apps/orders/migrations` (namespace
 * `orders`). Databases created before the split (integer ids 1–4) are adopted.
 */
import path from 'node:path';
import { authMigrations } from '@steadfast/toolkit/auth';
import { idempotencyMigrations } from '@steadfast/toolkit/idempotency';
import { jobsMigrations, migrateJobs } from '@steadfast/toolkit/jobs';
import { operationsMigrations } from '@steadfast/toolkit/operations';
import { outboxMigrations } from '@steadfast/toolkit/outbox';
import { type Migration, migrate, type Pool, readMigrations } from '@steadfast/toolkit/postgres';
import { webhooksMigrations } from '@steadfast/toolkit/webhooks';

export const MIGRATIONS_DIR = path.resolve(import.meta.dirname, '..', 'migrations');

/** what the pre-split numbering called the app's files */
const LEGACY = { '0001_orders': 1, '0002_payment_attempts': 3 };

export function appMigrations(): Migration[] {
  return [
    ...authMigrations,
    ...idempotencyMigrations,
    ...operationsMigrations,
    ...outboxMigrations,
    ...jobsMigrations,
    ...webhooksMigrations,
    ...readMigrations(MIGRATIONS_DIR, 'orders', LEGACY),
  ];
}

/** Our tables and graphile-worker's schema; returns the ids applied by this call. */
export async function migrateApp(pool: Pool): Promise<string[]> {
  const applied = await migrate(pool, appMigrations());
  await migrateJobs(pool);
  return applied;
}
