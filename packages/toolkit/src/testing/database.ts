/**
 * A fresh database per test file, cloned from the migrated template in milliseconds.
 * Through PgBouncer (`pgbouncer` option, or the whole run with STEADFAST_TEST_PGBOUNCER=1)
 * the pool is the pooled one, with the direct connection as its sibling (`directPool`).
 */
import { randomBytes } from 'node:crypto';
import { createPool, type Pool } from '../postgres/index.ts';
import {
  ADMIN_URL_ENV,
  PGBOUNCER_URL_ENV,
  TEMPLATE_DATABASE,
  TEMPLATE_ENV,
  withDatabase,
} from './global-setup.ts';

export interface TestDatabase {
  name: string;
  /** the direct URL (child processes get this one) */
  url: string;
  /** the PgBouncer URL when the pool goes through PgBouncer */
  pooledUrl?: string;
  pool: Pool;
  close(): Promise<void>;
}

export function adminUrl(): string {
  const url = process.env[ADMIN_URL_ENV];
  if (!url) throw new Error(`${ADMIN_URL_ENV} is not set: run tests with npm test (it starts Postgres once)`);
  return url;
}

/** `template: 'template0'` gives an empty, unmigrated database. */
export async function createTestDatabase(
  options: {
    template?: string;
    poolMax?: number;
    /** a running PgBouncer (`startPgBouncer`); default: the run's one when STEADFAST_TEST_PGBOUNCER=1 */
    pgbouncer?: { url(database: string): string };
  } = {},
): Promise<TestDatabase> {
  const name = `t_${randomBytes(6).toString('hex')}`;
  const admin = createPool({ connectionString: adminUrl(), max: 1 });
  try {
    await admin.query(
      `CREATE DATABASE ${name} TEMPLATE ${options.template ?? process.env[TEMPLATE_ENV] ?? TEMPLATE_DATABASE}`,
    );
  } finally {
    await admin.end();
  }
  const url = withDatabase(adminUrl(), name);
  // DROP … WITH (FORCE) after pool.end() terminates connections still draining: createPool expects that
  const runBouncer = process.env[PGBOUNCER_URL_ENV];
  const pooledUrl = options.pgbouncer?.url(name) ?? (runBouncer ? withDatabase(runBouncer, name) : undefined);
  const pool = pooledUrl
    ? createPool({
        connectionString: pooledUrl,
        max: options.poolMax ?? 10,
        direct: { connectionString: url },
      })
    : createPool({ connectionString: url, max: options.poolMax ?? 10 });
  return {
    name,
    url,
    pooledUrl,
    pool,
    async close() {
      await pool.end();
      const drop = createPool({ connectionString: adminUrl(), max: 1 });
      await drop.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).finally(() => drop.end());
    },
  };
}
