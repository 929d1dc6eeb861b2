/**
 * Open the database a command should use: DATABASE_URL when set, otherwise
 * the embedded cluster in STEADFAST_HOME — started if it is not running, or
 * joined if another Steadfast process (e.g. `npm start`) is running it.
 */
import path from 'node:path';
import type { Logger } from '@steadfast/toolkit/observability';
import { createPool, type Pool } from '@steadfast/toolkit/postgres';
import { type EmbeddedCluster, freePort, startEmbeddedCluster } from '@steadfast/toolkit/testing';
import type { Config } from '../config.ts';
import { claimOwnership, liveOwnerPid, readHomeState, releaseOwnership, updateHomeState } from './home.ts';

export interface Database {
  pool: Pool;
  url: string;
  /** set when the embedded cluster is used */
  cluster?: EmbeddedCluster;
  /** true when this process is responsible for stopping the embedded cluster */
  ownsCluster: boolean;
  close(): Promise<void>;
}

export const DATABASE_NAME = 'steadfast';

async function ensureDatabase(adminUrl: string, name: string): Promise<void> {
  const admin = createPool({ connectionString: adminUrl, max: 1 });
  try {
    const { rowCount } = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (rowCount === 0) {
      await admin.query(`CREATE DATABASE ${name}`).catch((error: { code?: string }) => {
        if (error.code !== '42P04') throw error; // created meanwhile by another process
      });
    }
  } finally {
    await admin.end();
  }
}

export async function openDatabase(
  config: Config,
  log: Logger,
  options: { role: 'server' | 'tool'; poolMax?: number },
): Promise<Database> {
  if (config.databaseUrl) {
    const pool = createPool({ connectionString: config.databaseUrl, max: options.poolMax });
    return { pool, url: config.databaseUrl, ownsCluster: false, close: () => pool.end() };
  }
  const state = readHomeState(config.home);
  let port = config.pgPort ?? state.pgPort;
  if (port === undefined) {
    port = await freePort();
    updateHomeState(config.home, { pgPort: port });
  }
  const dataDir = path.join(config.home, 'pg');
  const cluster = await startEmbeddedCluster({
    dataDir,
    port,
    password: state.pgPassword,
    log: (line) => log.debug({ postgres: line }, 'embedded postgres'),
  });
  // a server that started the cluster, or found it orphaned by a crashed owner, owns it
  const ownsCluster = cluster.owned || (options.role === 'server' && liveOwnerPid(config.home) === undefined);
  if (options.role === 'server' && ownsCluster) claimOwnership(config.home);
  await ensureDatabase(cluster.url('postgres'), DATABASE_NAME);
  const url = cluster.url(DATABASE_NAME);
  const pool = createPool({ connectionString: url, max: options.poolMax });
  return {
    pool,
    url,
    cluster,
    ownsCluster,
    async close() {
      await pool.end();
      if (ownsCluster) {
        await cluster.stop();
        releaseOwnership(config.home);
      }
    },
  };
}
