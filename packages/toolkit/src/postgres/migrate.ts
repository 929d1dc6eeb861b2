/**
 * Numbered plain-SQL migrations (`0001_name.sql`, ...), each applied once in
 * its own transaction and recorded with a SHA-256 checksum. A changed applied
 * file stops the run. An advisory lock makes concurrent runners safe: the
 * second waits, then finds nothing left to do.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Pool } from './pool.ts';

export interface Migration {
  id: number;
  name: string;
  sql: string;
  checksum: string;
}

const FILE_PATTERN = /^(\d{4})_[a-z0-9_-]+\.sql$/;
const LOCK_KEY = 7_461_726_301; // arbitrary, constant: "steadfast migrations"

export class MigrationError extends Error {
  override name = 'MigrationError';
}

export function readMigrations(dir: string): Migration[] {
  const files = fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.sql'))
    .sort();
  const seen = new Set<number>();
  return files.map((name) => {
    const match = FILE_PATTERN.exec(name);
    if (!match) throw new MigrationError(`migration file name ${name} must look like 0001_some_name.sql`);
    const id = Number(match[1]);
    if (seen.has(id)) throw new MigrationError(`two migrations share number ${match[1]}`);
    seen.add(id);
    const sql = fs.readFileSync(path.join(dir, name), 'utf8');
    return { id, name, sql, checksum: createHash('sha256').update(sql).digest('hex') };
  });
}

const CREATE_TABLE = `
  CREATE TABLE IF NOT EXISTS steadfast_migrations (
    id integer PRIMARY KEY,
    name text NOT NULL,
    checksum text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
  )`;

/** Apply every pending migration; returns the names applied by this call. */
export async function migrate(pool: Pool, migrations: Migration[]): Promise<string[]> {
  const client = await pool.connect();
  const applied: string[] = [];
  try {
    await client.query('SELECT pg_advisory_lock($1)', [LOCK_KEY]);
    await client.query(CREATE_TABLE);
    const { rows } = await client.query<{ id: number; name: string; checksum: string }>(
      'SELECT id, name, checksum FROM steadfast_migrations',
    );
    const done = new Map(rows.map((r) => [r.id, r]));
    for (const m of migrations) {
      const previous = done.get(m.id);
      if (previous) {
        if (previous.checksum !== m.checksum) {
          throw new MigrationError(
            `migration ${m.name} was changed after it was applied (checksum differs); add a new migration instead`,
          );
        }
        continue;
      }
      try {
        await client.query('BEGIN');
        await client.query(m.sql);
        await client.query('INSERT INTO steadfast_migrations (id, name, checksum) VALUES ($1, $2, $3)', [
          m.id,
          m.name,
          m.checksum,
        ]);
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK');
        throw new MigrationError(`migration ${m.name} failed: ${(error as Error).message}`);
      }
      applied.push(m.name);
    }
    return applied;
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [LOCK_KEY]).catch(() => {});
    client.release();
  }
}

/** True when every known migration is applied (used by readiness checks). */
export async function isMigrated(pool: Pool, migrations: Migration[]): Promise<boolean> {
  const { rows } = await pool.query<{ n: string }>(
    `SELECT count(*) AS n FROM steadfast_migrations WHERE id = ANY($1::int[])`,
    [migrations.map((m) => m.id)],
  );
  return Number(rows[0].n) === migrations.length;
}
