/**
 * Open the database a command should use: DATABASE_URL when set, otherwise
 * the embedded cluster in STEADFAST_HOME — started if it is not running, or
 * joined if another Steadfast process (e.g. `npm start`) is running it.
 * With DATABASE_DIRECT_URL (DATABASE_URL is a transaction-mode pooler) the pool
 * carries a direct sibling for LISTEN, session locks and graphile-worker, and
 * the start fails unless that URL really is direct (a NOTIFY reaches a LISTEN).
 */
import path from 'node:path';
import type { Logger } from '@steadfast/toolkit/observability';
import {
  assertDirectConnection,
  createPool,
  DirectConnectionError,
  endPool,
  type Pool,
} from '@steadfast/toolkit/postgres';
import { type EmbeddedCluster, freePort, startEmbeddedCluster } from '@steadfast/toolkit/testing';
import type { Registry } from 'prom-client';
import { type Config, ConfigError } from '../config.ts';
import { type ClusterSupervisor, superviseCluster } from './cluster-supervisor.ts';
import { claimOwnership, liveOwnerPid, readHomeState, releaseOwnership, updateHomeState } from './home.ts';

export interface Database {
  pool: Pool;
  url: string;
  /** set when the embedded cluster is used */
  cluster?: EmbeddedCluster;
  /** true when this process is responsible for stopping the embedded cluster */
  ownsCluster: boolean;
  /** set when this process owns the embedded cluster: it restarts a postmaster that died */
  supervisor?: ClusterSupervisor;
  /** ends the pool (at most `POOL_END_MS`, even with a frozen server), then stops an owned cluster */
  close(): Promise<void>;
}

/** a pool waits this long for its connections to end on close; then their sockets are destroyed */
export const POOL_END_MS = 5000;

export const DATABASE_NAME = 'steadfast';

async function ensureDatabase(adminUrl: string, name: string, config: Config): Promise<void> {
  const admin = createPool({ ...config.database, connectionString: adminUrl, max: 1 });
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

/**
 * LISTEN/NOTIFY and session locks need a direct connection: a pooler that takes
 * a LISTEN and never delivers fails the start here, naming the variable. An
 * unreachable database is left to the caller's own first query.
 */
async function assertDirect(pool: Pool, variable: string): Promise<void> {
  try {
    await assertDirectConnection(pool);
  } catch (error) {
    if (!(error instanceof DirectConnectionError)) {
      // the pooler refusing the direct pool's startup parameters says the same
      if (!/unsupported startup parameter/.test((error as Error).message)) return;
    }
    await endPool(pool, POOL_END_MS);
    const hint =
      variable === 'DATABASE_URL' ? '; behind a pooler, set DATABASE_DIRECT_URL to a direct connection' : '';
    throw new ConfigError(
      variable,
      `is not a direct connection to Postgres: ${(error as Error).message}${hint}`,
    );
  }
}

export async function openDatabase(
  config: Config,
  log: Logger,
  options: { role: 'server' | 'tool'; poolMax?: number; registry?: Registry },
): Promise<Database> {
  // every wait on the database is bounded (DATABASE_CONNECT_TIMEOUT_MS, DATABASE_STATEMENT_TIMEOUT_MS)
  const poolFor = (connectionString: string) =>
    createPool({ ...config.database, connectionString, max: options.poolMax ?? config.database.max });
  if (config.databaseUrl) {
    const direct = config.databaseDirectUrl;
    const pool = createPool({
      ...config.database,
      connectionString: config.databaseUrl,
      max: options.poolMax ?? config.database.max,
      direct: direct ? { connectionString: direct } : undefined,
    });
    await assertDirect(pool, direct ? 'DATABASE_DIRECT_URL' : 'DATABASE_URL');
    return {
      pool,
      url: config.databaseUrl,
      ownsCluster: false,
      close: async () => void (await endPool(pool, POOL_END_MS)),
    };
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
  await ensureDatabase(cluster.url('postgres'), DATABASE_NAME, config);
  const url = cluster.url(DATABASE_NAME);
  const pool = poolFor(url);
  // only the owner restarts it: two supervisors would race to start one data directory
  const supervisor =
    options.role === 'server' && ownsCluster
      ? superviseCluster({ cluster, log, registry: options.registry })
      : undefined;
  return {
    pool,
    url,
    cluster,
    ownsCluster,
    supervisor,
    async close() {
      await supervisor?.stop();
      await endPool(pool, POOL_END_MS);
      if (ownsCluster) {
        await cluster.stop();
        releaseOwnership(config.home);
      }
    },
  };
}
