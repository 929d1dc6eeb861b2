/** A fresh database per test file, cloned from the migrated template in milliseconds. */
import { randomBytes } from 'node:crypto';
import { createPool, type Pool } from '../postgres/index.ts';
import { ADMIN_URL_ENV, TEMPLATE_DATABASE } from './global-setup.ts';

export interface TestDatabase {
  name: string;
  url: string;
  pool: Pool;
  close(): Promise<void>;
}

export function adminUrl(): string {
  const url = process.env[ADMIN_URL_ENV];
  if (!url) throw new Error(`${ADMIN_URL_ENV} is not set: run tests with npm test (it starts Postgres once)`);
  return url;
}

function withDatabase(url: string, name: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${name}`;
  return parsed.toString();
}

/** `template: 'template0'` gives an empty, unmigrated database. */
export async function createTestDatabase(
  options: { template?: string; poolMax?: number } = {},
): Promise<TestDatabase> {
  const name = `t_${randomBytes(6).toString('hex')}`;
  const admin = createPool({ connectionString: adminUrl(), max: 1 });
  try {
    await admin.query(`CREATE DATABASE ${name} TEMPLATE ${options.template ?? TEMPLATE_DATABASE}`);
  } finally {
    await admin.end();
  }
  const url = withDatabase(adminUrl(), name);
  // DROP … WITH (FORCE) after pool.end() terminates connections still draining: createPool expects that
  const pool = createPool({ connectionString: url, max: options.poolMax ?? 10 });
  return {
    name,
    url,
    pool,
    async close() {
      await pool.end();
      const drop = createPool({ connectionString: adminUrl(), max: 1 });
      await drop.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).finally(() => drop.end());
    },
  };
}
