/**
 * A throwaway embedded Postgres for benchmarks, with production settings
 * (fsync and synchronous commit on): commits cost what they cost in production.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { migrateJobs } from '@steadfast/toolkit/jobs';
import {
  createPool,
  freePort,
  migrate,
  type Pool,
  readMigrations,
  startEmbeddedCluster,
} from '@steadfast/toolkit/postgres';

export interface BenchDatabase {
  pool: Pool;
  url: string;
  close(): Promise<void>;
}

export async function startBenchDatabase(options: { poolMax?: number } = {}): Promise<BenchDatabase> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'steadfast-bench-'));
  fs.chmodSync(dir, 0o755);
  const cluster = await startEmbeddedCluster({
    dataDir: path.join(dir, 'pg'),
    port: await freePort(),
    password: 'bench',
    settings: { max_connections: '200' },
  });
  const admin = createPool({ connectionString: cluster.url('postgres'), max: 1 });
  await admin.query('CREATE DATABASE bench');
  await admin.end();
  const url = cluster.url('bench');
  const pool = createPool({ connectionString: url, max: options.poolMax ?? 20 });
  await migrate(pool, readMigrations(path.resolve(import.meta.dirname, '..', '..', 'migrations')));
  await migrateJobs(pool); // graphile-worker's schema, as `steadfast start` has it
  return {
    pool,
    url,
    async close() {
      await pool.end();
      await cluster.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
