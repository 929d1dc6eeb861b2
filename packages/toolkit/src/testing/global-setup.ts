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
 *
 * With STEADFAST_TEST_SERVER_URL (a superuser URL of a running server, e.g. a
 * CI service container, or one cluster kept for many short runs as the
 * mutation runs do) no cluster is started: the run migrates a template of its
 * own there (a random name, so runs can share the server) and drops it at the
 * end; the test databases are dropped by their files as always.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createPool, type Pool } from '../postgres/index.ts';
import { type EmbeddedCluster, freePort, startEmbeddedCluster } from './embedded-cluster.ts';
import { type PgBouncer, startPgBouncer } from './pgbouncer.ts';

export const TEMPLATE_DATABASE = 'steadfast_template';
export const ADMIN_URL_ENV = 'STEADFAST_TEST_ADMIN_URL';
/** set by the global setup: the template database of this run */
export const TEMPLATE_ENV = 'STEADFAST_TEST_TEMPLATE';
/** read by the global setup: a running server to use instead of starting a cluster */
export const SERVER_URL_ENV = 'STEADFAST_TEST_SERVER_URL';
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
  let shared: { adminUrl: string; template: string } | undefined;
  async function dropShared() {
    if (!shared) return;
    const { adminUrl, template } = shared;
    shared = undefined;
    const admin = createPool({ connectionString: adminUrl, max: 1 });
    await admin.query(`DROP DATABASE IF EXISTS ${template} WITH (FORCE)`).finally(() => admin.end());
  }
  return {
    async globalSetup() {
      const serverUrl = process.env[SERVER_URL_ENV];
      let adminUrl: string;
      let template = TEMPLATE_DATABASE;
      if (serverUrl) {
        adminUrl = serverUrl;
        template = `${TEMPLATE_DATABASE}_${randomBytes(6).toString('hex')}`;
        shared = { adminUrl, template };
      } else {
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
        adminUrl = cluster.url('postgres');
      }
      const admin = createPool({ connectionString: adminUrl, max: 1 });
      await admin.query(`CREATE DATABASE ${template}`).finally(() => admin.end());
      const migrating = createPool({ connectionString: withDatabase(adminUrl, template), max: 1 });
      try {
        await options.migrate(migrating).finally(() => migrating.end());
      } catch (error) {
        await dropShared(); // a shared server keeps no half-migrated template
        throw error;
      }
      process.env[ADMIN_URL_ENV] = adminUrl;
      process.env[TEMPLATE_ENV] = template;
      if (process.env.STEADFAST_TEST_PGBOUNCER === '1') {
        bouncer = await startPgBouncer({ serverUrl: adminUrl });
        process.env[PGBOUNCER_URL_ENV] = bouncer.url('postgres');
      }
    },
    async globalTeardown() {
      await bouncer?.stop();
      await dropShared();
      await cluster?.stop();
      if (dir) fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** `url` with its database part replaced by `name` */
export function withDatabase(url: string, name: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${name}`;
  return parsed.toString();
}
