/**
 * Plain-SQL migrations, namespaced per owner: every toolkit block ships its
 * own (`idempotency/0001_idempotency_keys`, ...) and an app adds its files
 * (`0001_invoices.sql` read as `billing/0001_invoices`), so ids never collide.
 * Each migration runs once in its own transaction and is recorded with a
 * SHA-256 checksum; a changed applied migration stops the run. An advisory
 * lock makes concurrent runners safe: the second waits, then finds nothing
 * left to do.
 *
 * Databases created before migrations were namespaced recorded integer ids and
 * file names in `steadfast_migrations`; the app that owned those files says
 * which new migrations each old file already created (`adopt`), and those are
 * recorded as adopted instead of run.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { QueryConfig } from 'pg';
import { directPool } from './direct.ts';
import { isDatabaseUnavailable } from './errors.ts';
import { type Pool, type Queryable, UNBOUNDED_STATEMENT } from './pool.ts';

export interface Migration {
  /** `<namespace>/<NNNN_name>`, e.g. `idempotency/0001_idempotency_keys` */
  id: string;
  sql: string;
  checksum: string;
}

export interface MigrationSource {
  /** `NNNN_name` (four digits, lowercase words) */
  name: string;
  sql: string;
}

const NAME_PATTERN = /^\d{4}_[a-z0-9_-]+$/;
const NAMESPACE_PATTERN = /^[a-z][a-z0-9-]*$/;
const LOCK_KEY = 7_461_726_301; // arbitrary, constant: "steadfast migrations"

export class MigrationError extends Error {
  override name = 'MigrationError';
}

/** One owner's migrations, in order; names must be unique and look like `0001_some_name`. */
export function defineMigrations(namespace: string, sources: MigrationSource[]): Migration[] {
  if (!NAMESPACE_PATTERN.test(namespace))
    throw new MigrationError(`migration namespace "${namespace}" is invalid`);
  const seen = new Set<string>();
  return sources.map(({ name, sql }) => {
    if (!NAME_PATTERN.test(name))
      throw new MigrationError(`migration name ${name} must look like 0001_some_name`);
    const number = name.slice(0, 4);
    if (seen.has(number)) throw new MigrationError(`two ${namespace} migrations share number ${number}`);
    seen.add(number);
    const checksum = createHash('sha256').update(sql).digest('hex');
    return { id: `${namespace}/${name}`, sql, checksum };
  });
}

/** An app's own `NNNN_name.sql` files, under `namespace` (`0001_invoices.sql` → `billing/0001_invoices`). */
export function readMigrations(dir: string, namespace: string): Migration[] {
  const files = fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.sql'))
    .sort();
  return defineMigrations(
    namespace,
    files.map((file) => {
      const name = file.slice(0, -'.sql'.length);
      if (!NAME_PATTERN.test(name))
        throw new MigrationError(`migration file name ${file} must look like 0001_some_name.sql`);
      return { name, sql: fs.readFileSync(path.join(dir, file), 'utf8') };
    }),
  );
}

const CREATE_TABLE = `
  CREATE TABLE IF NOT EXISTS steadfast_schema_migrations (
    id text PRIMARY KEY,
    checksum text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now(),
    adopted_from text
  )`;

export interface MigrateOptions {
  /**
   * For databases created before namespacing: an old file name as recorded in
   * `steadfast_migrations` (e.g. `0002_idempotency_keys.sql`) → the ids of the
   * migrations whose schema that file already created. Those are recorded as
   * adopted, not run, when the old file is recorded as applied.
   */
  adopt?: Record<string, string[]>;
}

/** Which migration ids the old table's applied files stand for. */
async function adoptable(client: Queryable, adopt: Record<string, string[]>): Promise<Map<string, string>> {
  const byId = new Map<string, string>();
  if (Object.keys(adopt).length === 0) return byId;
  const { rows: exists } = await client.query<{ t: string | null }>(
    `SELECT to_regclass('steadfast_migrations')::text AS t`,
  );
  if (!exists[0].t) return byId;
  const { rows } = await client.query<{ name: string }>('SELECT name FROM steadfast_migrations');
  for (const { name } of rows) for (const id of adopt[name] ?? []) byId.set(id, name);
  return byId;
}

/** Apply every pending migration, in the order given; returns the ids applied (or adopted) by this call. */
export async function migrate(
  pool: Pool,
  migrations: Migration[],
  options: MigrateOptions = {},
): Promise<string[]> {
  const ids = new Set<string>();
  for (const m of migrations) {
    if (ids.has(m.id)) throw new MigrationError(`migration ${m.id} is listed twice`);
    ids.add(m.id);
  }
  // a session advisory lock: on the direct connection when the pool is behind a pooler
  const client = await directPool(pool).connect();
  const applied: string[] = [];
  // a migration may run long, and may wait for another process's: no statement timeout on this session
  // (node-postgres reads query_timeout per query; its types do not list it)
  const long = (text: string, values?: unknown[]) =>
    client.query({ text, values, query_timeout: UNBOUNDED_STATEMENT.queryTimeoutMs } as QueryConfig);
  try {
    await client.query('SET statement_timeout = 0');
    await long('SELECT pg_advisory_lock($1)', [LOCK_KEY]);
    await client.query(CREATE_TABLE);
    const { rows } = await client.query<{ id: string; checksum: string }>(
      'SELECT id, checksum FROM steadfast_schema_migrations',
    );
    const done = new Map(rows.map((r) => [r.id, r.checksum]));
    const adopted = await adoptable(client, options.adopt ?? {});
    for (const m of migrations) {
      const checksum = done.get(m.id);
      if (checksum !== undefined) {
        if (checksum !== m.checksum) {
          throw new MigrationError(
            `migration ${m.id} was changed after it was applied (checksum differs); add a new migration instead`,
          );
        }
        continue;
      }
      const adoptedFrom = adopted.get(m.id);
      try {
        await client.query('BEGIN');
        if (adoptedFrom === undefined) await long(m.sql);
        await client.query(
          'INSERT INTO steadfast_schema_migrations (id, checksum, adopted_from) VALUES ($1, $2, $3)',
          [m.id, m.checksum, adoptedFrom ?? null],
        );
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK');
        throw new MigrationError(`migration ${m.id} failed: ${(error as Error).message}`);
      }
      applied.push(m.id);
    }
    return applied;
  } finally {
    // the lock is the session's: releasing it can only fail with the connection, which is then discarded
    await Promise.all([
      client.query('SELECT pg_advisory_unlock($1)', [LOCK_KEY]),
      client.query('RESET statement_timeout'),
    ]).then(
      () => client.release(),
      (error: Error) => client.release(error),
    );
  }
}

/** The ids of the given migrations that are not applied to this database. */
export async function pendingMigrations(db: Queryable, migrations: Migration[]): Promise<string[]> {
  const { rows } = await db.query<{ t: string | null }>(
    `SELECT to_regclass('steadfast_schema_migrations')::text AS t`,
  );
  if (!rows[0].t) return migrations.map((m) => m.id);
  const { rows: done } = await db.query<{ id: string }>(
    'SELECT id FROM steadfast_schema_migrations WHERE id = ANY($1::text[])',
    [migrations.map((m) => m.id)],
  );
  const applied = new Set(done.map((r) => r.id));
  return migrations.map((m) => m.id).filter((id) => !applied.has(id));
}

/** True when every given migration is applied (used by readiness checks). */
export async function isMigrated(db: Queryable, migrations: Migration[]): Promise<boolean> {
  return (await pendingMigrations(db, migrations)).length === 0;
}

/**
 * Throws one clear MigrationError naming the first missing migration: blocks
 * call it when they start, so a forgotten migration fails at start instead of
 * as a SQL error on the first request.
 */
export async function assertMigrated(
  db: Queryable,
  migrations: Migration[],
  exportName: string,
): Promise<void> {
  const pending = await pendingMigrations(db, migrations);
  if (pending.length === 0) return;
  throw new MigrationError(
    `the database is missing migration ${pending[0]}${pending.length > 1 ? ` (and ${pending.length - 1} more)` : ''}: apply it at start with migrate(pool, [...${exportName}])`,
  );
}

/**
 * `assertMigrated` for start-up hooks: a database that does not answer is not
 * a schema problem — the process starts, readiness reports the outage, and the
 * first request after recovery works — so only an answering database that
 * lacks a migration fails the start. Resolves false when it could not check
 * (log that: the caller has the logger).
 */
export async function assertMigratedIfReachable(
  db: Queryable,
  migrations: Migration[],
  exportName: string,
): Promise<boolean> {
  try {
    await assertMigrated(db, migrations, exportName);
    return true;
  } catch (error) {
    if (!isDatabaseUnavailable(error)) throw error;
    return false;
  }
}

/** The onReady hook of a block's plugin: check the schema, or log that the database could not be asked. */
export function schemaCheckHook(
  log: { warn(obj: object, msg: string): void },
  db: Queryable,
  migrations: Migration[],
  exportName: string,
): () => Promise<void> {
  return async () => {
    if (!(await assertMigratedIfReachable(db, migrations, exportName)))
      log.warn({ migrations: exportName }, 'database unreachable at start: schema not checked');
  };
}
