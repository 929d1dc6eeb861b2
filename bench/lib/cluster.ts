/**
 * A throwaway embedded Postgres for benchmarks, with production settings
 * (fsync and synchronous commit on): commits cost what they cost in production.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { migrateApp } from '@steadfast/orders/migrations';
import { createPool, type Pool } from '@steadfast/toolkit/postgres';
import { freePort, startEmbeddedCluster } from '@steadfast/toolkit/testing';

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
  await migrateApp(pool); // our tables and graphile-worker's schema, as `steadfast start` has them
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
