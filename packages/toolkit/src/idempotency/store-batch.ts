/**
 * SQL of the coalesced paths: many requests' key records and effects in ONE
 * statement (one round trip, one commit), and many key lookups in one SELECT.
 * The statement text — and its prepared plan — is the same for any batch size.
 */
import {
  isSqlIdentifier,
  isSqlType,
  type JsonRowColumn,
  jsonRowsParam,
  jsonRowsSource,
  type Queryable,
} from '../postgres/index.ts';
import { type KeyRecord, type KeyRow, type KeyScope, keyRecordOf, type StoredResponse } from './store.ts';

/** An effect that is one row inserted into one table: batchable. */
export interface RowEffect {
  /** prefix of the prepared statements' names, e.g. 'notes.insert' */
  name: string;
  table: string;
  /** the row's columns in order, each with its SQL type (e.g. ['items', 'jsonb']) */
  columns: readonly (readonly [name: string, type: string])[];
  values: readonly unknown[];
}

export interface KeyedRow {
  scope: KeyScope;
  fingerprint: Buffer;
  stored: StoredResponse;
  retentionS: number;
  row: RowEffect;
}

/** the columns' SQL, checked once: identifiers and types are spliced into statement text */
export function checkRowShape(row: RowEffect): void {
  if (!isSqlIdentifier(row.table)) throw new Error(`row effect: bad table name ${JSON.stringify(row.table)}`);
  for (const [name, type] of row.columns) {
    if (!isSqlIdentifier(name) || !isSqlType(type))
      throw new Error(`row effect ${row.name}: bad column ${JSON.stringify([name, type])}`);
  }
  if (row.values.length !== row.columns.length)
    throw new Error(`row effect ${row.name}: ${row.values.length} values for ${row.columns.length} columns`);
}

/** the single-request form, for the one-statement path: `INSERT … SELECT $1::type, … FROM claimed` */
export function rowEffectText(row: RowEffect): { name: string; text: string; values: unknown[] } {
  checkRowShape(row);
  const names = row.columns.map(([name]) => name).join(', ');
  const params = row.columns.map(([, type], i) => `$${i + 1}::${type}`).join(', ');
  return {
    name: row.name,
    text: `INSERT INTO ${row.table} (${names}) SELECT ${params} FROM claimed`,
    values: [...row.values],
  };
}

/** the key record's fields in each row of a batch, before the effect's columns */
const KEY_COLUMNS: readonly JsonRowColumn[] = [
  ['k_tenant', 'text'],
  ['k_method', 'text'],
  ['k_route', 'text'],
  ['k_key', 'text'],
  ['k_fingerprint', 'bytea'],
  ['k_status', 'integer'],
  ['k_headers', 'jsonb'],
  ['k_body', 'bytea'],
  ['k_retention', 'float8'],
];

/** the batch statement of one row shape (built once per shape by its writer) */
export function batchText(shape: RowEffect): string {
  const source = jsonRowsSource([
    ...KEY_COLUMNS,
    ...shape.columns.map(([, type], i) => [`c${i + 1}`, type] as const),
  ]);
  const effectColumns = shape.columns.map(([name]) => name).join(', ');
  const effectValues = shape.columns.map((_, i) => `c${i + 1}`).join(', ');
  return `WITH input AS MATERIALIZED (${source}),
    claimed AS (
      INSERT INTO idempotency_keys (tenant_id, method, route, key, fingerprint, state, response_status,
        response_headers, response_body, completed_at, expires_at)
      SELECT k_tenant, k_method, k_route, k_key, k_fingerprint, 'completed', k_status, k_headers, k_body, now(),
        now() + make_interval(secs => k_retention)
      FROM input ORDER BY k_tenant, k_method, k_route, k_key
      ON CONFLICT (tenant_id, method, route, key) DO NOTHING
      RETURNING tenant_id, method, route, key
    ),
    won AS (
      SELECT input.* FROM input JOIN claimed
        ON claimed.tenant_id = k_tenant AND claimed.method = k_method AND claimed.route = k_route AND claimed.key = k_key
    ),
    effect AS (
      INSERT INTO ${shape.table} (${effectColumns}) SELECT ${effectValues} FROM won ORDER BY n
    )
    SELECT n FROM won`;
}

/**
 * Insert many keyed rows in one statement (the rows travel as one JSON
 * parameter: `jsonRowsSource`). The scopes must be distinct. Returns, per row
 * in order, whether its key was new (so its row was written) — false: the key
 * existed already. `text` is the shape's `batchText`.
 */
export async function insertKeyedRows(
  db: Queryable,
  text: string,
  rows: readonly KeyedRow[],
): Promise<boolean[]> {
  const shape = rows[0].row;
  const document = rows.map((r) => {
    if (r.row.name !== shape.name) throw new Error('insertKeyedRows: one effect shape per batch');
    if (r.row.values.length !== shape.columns.length)
      throw new Error(
        `row effect ${shape.name}: ${r.row.values.length} values for ${shape.columns.length} columns`,
      );
    return [
      r.scope.tenantId,
      r.scope.method,
      r.scope.route,
      r.scope.key,
      r.fingerprint,
      r.stored.status,
      r.stored.headers,
      r.stored.body,
      r.retentionS,
      ...r.row.values,
    ];
  });
  const { rows: won } = await db.query<{ n: number }>({
    name: `${shape.name}.batch`,
    text,
    values: [jsonRowsParam(document)],
  });
  const inserted = rows.map(() => false);
  for (const { n } of won) inserted[n - 1] = true;
  return inserted;
}

const LOOKUP_SOURCE = jsonRowsSource([
  ['tenant_id', 'text'],
  ['method', 'text'],
  ['route', 'text'],
  ['key', 'text'],
]);

/** Look many keys up in one SELECT; per scope in order, its record or undefined. */
export async function findKeys(
  db: Queryable,
  scopes: readonly KeyScope[],
): Promise<(KeyRecord | undefined)[]> {
  const { rows } = await db.query<KeyRow & { n: number }>({
    name: 'idempotency.find-many',
    text: `SELECT q.n, fingerprint, state, coalesce(lease_expires_at <= now(), false) AS lease_expired,
             expires_at <= now() AS expired, response_status, response_headers, response_body
           FROM (${LOOKUP_SOURCE}) q JOIN idempotency_keys USING (tenant_id, method, route, key)`,
    values: [jsonRowsParam(scopes.map((s) => [s.tenantId, s.method, s.route, s.key]))],
  });
  const found: (KeyRecord | undefined)[] = scopes.map(() => undefined);
  for (const row of rows) found[row.n - 1] = keyRecordOf(row);
  return found;
}
