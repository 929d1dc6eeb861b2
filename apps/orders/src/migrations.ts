/**
 * Every migration the reference app needs, in order: the toolkit blocks'
 * tables, then the app's own files in `apps/orders/migrations` (namespace
 * `orders`). Databases created before the split (0.1's files 0001–0004) are
 * adopted: what those files created is recorded, not run again.
 */
import path from 'node:path';
import { authMigrations } from '@steadfast/toolkit/auth';
import { egressHistoryMigrations } from '@steadfast/toolkit/egress-history';
import { idempotencyMigrations } from '@steadfast/toolkit/idempotency';
import { jobsMigrations, migrateJobs } from '@steadfast/toolkit/jobs';
import { lineageMigrations } from '@steadfast/toolkit/lineage';
import { operationsMigrations } from '@steadfast/toolkit/operations';
import { outboxMigrations } from '@steadfast/toolkit/outbox';
import { type Migration, migrate, type Pool, readMigrations } from '@steadfast/toolkit/postgres';
import { rateLimitMigrations } from '@steadfast/toolkit/rate-limits';
import { versioningMigrations } from '@steadfast/toolkit/versioning';
import { webhooksMigrations } from '@steadfast/toolkit/webhooks';

export const MIGRATIONS_DIR = path.resolve(import.meta.dirname, '..', 'migrations');

/** 0.1's migration files, and the migrations whose schema each of them created */
const ADOPT_FROM_0_1: Record<string, string[]> = {
  '0001_tenants_and_orders.sql': ['auth/0001_tenants_and_api_keys', 'orders/0001_orders'],
  '0002_idempotency_keys.sql': ['idempotency/0001_idempotency_keys'],
  '0003_durable_work.sql': [
    'operations/0001_operations',
    'outbox/0001_outbox',
    'jobs/0001_dead_letters_and_heartbeats',
    'orders/0002_payment_attempts',
  ],
  '0004_webhook_inbox.sql': ['webhooks/0001_webhook_inbox'],
};

export function appMigrations(): Migration[] {
  return [
    ...authMigrations,
    ...idempotencyMigrations,
    ...operationsMigrations,
    ...outboxMigrations,
    ...jobsMigrations,
    ...webhooksMigrations,
    ...rateLimitMigrations,
    ...lineageMigrations,
    ...egressHistoryMigrations,
    ...versioningMigrations,
    ...readMigrations(MIGRATIONS_DIR, 'orders'),
  ];
}

/** Our tables and graphile-worker's schema; returns the ids applied by this call. */
export async function migrateApp(pool: Pool): Promise<string[]> {
  const applied = await migrate(pool, appMigrations(), { adopt: ADOPT_FROM_0_1 });
  await migrateJobs(pool);
  return applied;
}
