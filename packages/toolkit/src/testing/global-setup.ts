/**
 * One embedded Postgres cluster per test run (throwaway: fsync off), with a
 * template database migrated once; test files clone the template
 * (`createTestDatabase`). An app's global-setup file for
 * `node --test --test-global-setup=<file>` is two lines:
 *
 *   export const { globalSetup, globalTeardown } =
 *     createGlobalSetup({ migrate: (pool) => migrate(pool, [...idempotencyMigrations, ...myMigrations]) });
 *
 * Test files get the cluster's address through the environment. With
 * STEADFAST_TEST_PGBOUNCER=1 a PgBouncer in transaction mode runs in front of
 * the cluster and every test database's pool goes through it.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createPool, type Pool } from '../postgres/index.ts';
import { type EmbeddedCluster, freePort, startEmbeddedCluster } from './embedded-cluster.ts';
import { type PgBouncer, startPgBouncer } from './pgbouncer.ts';

export const TEMPLATE_DATABASE = 'steadfast_template';
export const ADMIN_URL_ENV = 'STEADFAST_TEST_ADMIN_URL';
/** set by the global setup when the run goes through PgBouncer: its URL (database part ignored) */
export const PGBOUNCER_URL_ENV = 'STEADFAST_TEST_PGBOUNCER_URL';

export interface GlobalSetupOptions {
  /** creates the schema every test database starts from */
  migrate: (pool: Pool) => Promise<unknown>;
}

export function createGlobalSetup(options: GlobalSetupOptions): {
  globalSetup(): Promise<void>;
  globalTeardown(): Promise<void>;
} {
  let cluster: EmbeddedCluster | undefined;
  let dir: string | undefined;
  let bouncer: PgBouncer | undefined;
  return {
    async globalSetup() {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'steadfast-test-'));
      fs.chmodSync(dir, 0o755); // reachable by the postgres user when we run as root
      cluster = await startEmbeddedCluster({
        dataDir: path.join(dir, 'pg'),
        port: await freePort(),
        password: 'test',
        settings: {
          fsync: 'off',
          synchronous_commit: 'off',
          full_page_writes: 'off',
          max_connections: '300',
        },
      });
      const admin = createPool({ connectionString: cluster.url('postgres'), max: 1 });
      await admin.query(`CREATE DATABASE ${TEMPLATE_DATABASE}`).finally(() => admin.end());
      const template = createPool({ connectionString: cluster.url(TEMPLATE_DATABASE), max: 1 });
      await options.migrate(template).finally(() => template.end());
      process.env[ADMIN_URL_ENV] = cluster.url('postgres');
      if (process.env.STEADFAST_TEST_PGBOUNCER === '1') {
        bouncer = await startPgBouncer({ serverUrl: cluster.url('postgres') });
        process.env[PGBOUNCER_URL_ENV] = bouncer.url('postgres');
      }
    },
    async globalTeardown() {
      await bouncer?.stop();
      await cluster?.stop();
      if (dir) fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
