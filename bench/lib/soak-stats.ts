/** What a soak reads from Postgres (table and index sizes, rows written and deleted) and the slope of a series. */
import type { Pool } from '@steadfast/toolkit/postgres';

/** the tables the soak watches: the ones the mix writes, and graphile-worker's jobs */
export const SOAK_TABLES = [
  'orders',
  'idempotency_keys',
  'webhook_inbox',
  'outbox',
  'operations',
  'graphile_worker._private_jobs',
  'lineage_requests',
  'lineage_attempts',
  'dead_letters',
] as const;

export interface TableFigures {
  rows: number;
  totalBytes: number;
  indexBytes: number;
  /** from pg_stat_user_tables since the cluster started (flushed by each backend within ~1-10 s) */
  inserted: number;
  deleted: number;
}

export async function tableFigures(pool: Pool): Promise<Record<string, TableFigures>> {
  const out: Record<string, TableFigures> = {};
  for (const table of SOAK_TABLES) {
    const [schema, name] = table.includes('.') ? table.split('.') : ['public', table];
    const { rows } = await pool.query<{
      total: string;
      idx: string;
      ins: string | null;
      del: string | null;
      n: number;
    }>(
      `SELECT pg_total_relation_size(c.oid) AS total, pg_indexes_size(c.oid) AS idx,
              s.n_tup_ins AS ins, s.n_tup_del AS del,
              (SELECT count(*)::int FROM ${schema}.${name}) AS n
       FROM pg_class c JOIN pg_namespace ns ON ns.oid = c.relnamespace
       LEFT JOIN pg_stat_all_tables s ON s.relid = c.oid
       WHERE ns.nspname = $1 AND c.relname = $2`,
      [schema, name],
    );
    const row = rows[0];
    if (!row) throw new Error(`soak: table ${table} does not exist`);
    out[table] = {
      rows: row.n,
      totalBytes: Number(row.total),
      indexBytes: Number(row.idx),
      inserted: Number(row.ins ?? 0),
      deleted: Number(row.del ?? 0),
    };
  }
  return out;
}

/** rows (exact) of the two tables the reapers bound, cheap enough to read every sample */
export async function reapedTableRows(pool: Pool): Promise<{ idempotencyKeys: number; inbox: number }> {
  const { rows } = await pool.query<{ keys: number; inbox: number }>(
    `SELECT (SELECT count(*)::int FROM idempotency_keys) AS keys, (SELECT count(*)::int FROM webhook_inbox) AS inbox`,
  );
  return { idempotencyKeys: rows[0].keys, inbox: rows[0].inbox };
}

/** least-squares slope of y over x */
export function slope(points: { x: number; y: number }[]): number {
  if (points.length < 2) return 0;
  const n = points.length;
  const mx = points.reduce((a, p) => a + p.x, 0) / n;
  const my = points.reduce((a, p) => a + p.y, 0) / n;
  const sxx = points.reduce((a, p) => a + (p.x - mx) ** 2, 0);
  const sxy = points.reduce((a, p) => a + (p.x - mx) * (p.y - my), 0);
  return sxx === 0 ? 0 : sxy / sxx;
}

const MB = 2 ** 20;
export const mb = (bytes: number) => Math.round((bytes / MB) * 10) / 10;

export function formatTables(start: Record<string, TableFigures>, end: Record<string, TableFigures>): string {
  const lines = [
    `${'table'.padEnd(30)} ${'rows start→end'.padStart(18)} ${'total MB'.padStart(14)} ${'index MB'.padStart(14)} ${'inserted'.padStart(9)} ${'deleted'.padStart(9)}`,
  ];
  for (const table of SOAK_TABLES) {
    const [s, e] = [start[table], end[table]];
    lines.push(
      `${table.padEnd(30)} ${`${s.rows}→${e.rows}`.padStart(18)} ${`${mb(s.totalBytes)}→${mb(e.totalBytes)}`.padStart(14)} ${`${mb(s.indexBytes)}→${mb(e.indexBytes)}`.padStart(14)} ${String(e.inserted - s.inserted).padStart(9)} ${String(e.deleted - s.deleted).padStart(9)}`,
    );
  }
  return lines.join('\n');
}

/** the sum of every series of one metric in Prometheus text format (0 when absent) */
export function metricSum(text: string, name: string): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name) || (line[name.length] !== '{' && line[name.length] !== ' ')) continue;
    sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}
