/** Every table the service needs: the toolkit blocks' own migrations, then ours (`migrations/*.sql`). */
import path from 'node:path';
import { idempotencyMigrations } from '@steadfast/toolkit/idempotency';
import { jobsMigrations, migrateJobs } from '@steadfast/toolkit/jobs';
import { migrate, type Pool, readMigrations } from '@steadfast/toolkit/postgres';
import { webhooksMigrations } from '@steadfast/toolkit/webhooks';

// docs:start migrations
export const migrations = [
  ...idempotencyMigrations,
  ...jobsMigrations,
  ...webhooksMigrations,
  ...readMigrations(path.join(import.meta.dirname, '..', 'migrations'), 'bookings'),
];

/** Ours, then graphile-worker's own schema; safe on every start, from any number of processes. */
export async function migrateAll(pool: Pool): Promise<void> {
  await migrate(pool, migrations);
  await migrateJobs(pool);
}
// docs:end migrations
