/**
 * `node --test --test-global-setup=<this file>`: one embedded Postgres cluster
 * per test run (throwaway: fsync off), with a template database migrated once.
 * Test files get its address through the environment and clone the template.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { migrateJobs } from '../jobs/index.ts';
import type { EmbeddedCluster } from '../postgres/index.ts';
import { createPool, freePort, migrate, readMigrations, startEmbeddedCluster } from '../postgres/index.ts';

export const TEMPLATE_DATABASE = 'steadfast_template';
export const ADMIN_URL_ENV = 'STEADFAST_TEST_ADMIN_URL';

let cluster: EmbeddedCluster | undefined;
let dir: string | undefined;

export async function globalSetup(): Promise<void> {
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
  await admin.query(`CREATE DATABASE ${TEMPLATE_DATABASE}`);
  await admin.end();
  const template = createPool({ connectionString: cluster.url(TEMPLATE_DATABASE), max: 1 });
  await migrate(template, readMigrations(path.resolve(process.env.STEADFAST_MIGRATIONS_DIR ?? 'migrations')));
  await migrateJobs(template);
  await template.end();
  process.env[ADMIN_URL_ENV] = cluster.url('postgres');
}

export async function globalTeardown(): Promise<void> {
  await cluster?.stop();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
}
