import type { Queryable } from '../postgres/index.ts';
import { createFakeClock } from '../testing/index.ts';
import { rateLimitMigrations } from './migrations.ts';
import type { RateLimitPolicies } from './policies.ts';
import { createPostgresRateLimitStore, type PostgresRateLimitStoreOptions } from './postgres-store.ts';
import type { CellSnapshot, RateLimitStoreClient, SyncResult } from './store.ts';

/** what a statement does: the migration check, the override reload, the sync, leaving at close */
export type StatementKind = 'schema' | 'overrides' | 'sync' | 'leave' | 'other';

export interface Statement {
  kind: StatementKind;
  text: string;
  values: unknown[];
}

export function kindOf(text: string): StatementKind {
  if (text.includes('WITH cell AS')) return 'sync';
  if (text.includes('rate_limit_overrides')) return 'overrides';
  if (text.includes('steadfast_schema_migrations')) return 'schema';
  if (text.includes('rate_limit_instances')) return 'leave';
  return 'other';
}

/** 'fail': an ordinary error; 'unreachable': a refused connection (what `isDatabaseUnavailable` knows) */
export type Fate = 'fail' | 'unreachable' | Promise<unknown> | undefined;

export interface FakeDbOptions {
  /** decides each statement's fate (default: answered) */
  answer?: (statement: Statement) => Fate;
  /** rows of `rate_limit_overrides` (partition, class, limit, window_s) */
  overrides?: { partition: string; class: string; limit: number; window_s: number }[];
  /** the sync's answer for its parameters (default: 1 active instance, grant 7 and no others per cell) */
  sync?: (values: unknown[]) => { active: number; cells: [number, number, number][] };
}

export function fakeDb(options: FakeDbOptions = {}) {
  const statements: Statement[] = [];
  const db: Queryable = {
    query: (async (text: string, values: unknown[] = []) => {
      const statement: Statement = { kind: kindOf(text), text, values };
      statements.push(statement);
      const fate = options.answer?.(statement);
      if (fate === 'fail') throw new Error(`${statement.kind} failed`);
      if (fate === 'unreachable')
        throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
      await fate;
      switch (statement.kind) {
        case 'schema':
          return text.includes('to_regclass')
            ? { rows: [{ t: 'steadfast_schema_migrations' }], rowCount: 1 }
            : { rows: rateLimitMigrations.map((m) => ({ id: m.id })), rowCount: rateLimitMigrations.length };
        case 'overrides':
          return { rows: options.overrides ?? [], rowCount: options.overrides?.length ?? 0 };
        case 'sync': {
          const answer = options.sync?.(values) ?? {
            active: 1,
            cells: (values[1] as unknown[]).map(() => [7, 0, 0] as [number, number, number]),
          };
          return { rows: [answer], rowCount: 1 };
        }
        default:
          return { rows: [], rowCount: 1 };
      }
    }) as Queryable['query'],
  };
  const of = (kind: StatementKind) => statements.filter((s) => s.kind === kind);
  return { db, statements, of };
}

import { recordingErrors } from '../testing/index.ts';

export { type Reported, recordingErrors } from '../testing/index.ts';

export type ClientCall =
  | { call: 'snapshot' }
  | { call: 'apply'; snapshot: CellSnapshot[]; result: SyncResult }
  | { call: 'applyLocally'; snapshot: CellSnapshot[] }
  | { call: 'setOverrides'; overrides: Map<string, RateLimitPolicies> };

/** a stand-in limiter: `snapshot()` answers `cells()`, every call is kept */
export function fakeClient(cells: () => CellSnapshot[] = () => []) {
  const calls: ClientCall[] = [];
  const client: RateLimitStoreClient = {
    snapshot: () => {
      calls.push({ call: 'snapshot' });
      return cells();
    },
    apply: (snapshot, result) => void calls.push({ call: 'apply', snapshot, result }),
    applyLocally: (snapshot) => void calls.push({ call: 'applyLocally', snapshot }),
    setOverrides: (overrides) => void calls.push({ call: 'setOverrides', overrides }),
  };
  const of = <C extends ClientCall['call']>(call: C) =>
    calls.filter((c): c is Extract<ClientCall, { call: C }> => c.call === call);
  return { client, calls, of };
}

export const snap = (extra: Partial<CellSnapshot> = {}): CellSnapshot => ({
  partition: 't1',
  className: 'writes',
  limit: 100,
  windowMs: 1000,
  windowStartMs: Date.UTC(2026, 0, 1),
  count: 3,
  prevCount: 2,
  prevWeight: 0.5,
  ...extra,
});

/** captures the timers `setInterval` makes while `run` runs (the store's sync timer) */
export async function capturingIntervals<T>(
  run: () => Promise<T>,
): Promise<{ value: T; timers: { timer: NodeJS.Timeout; ms: number | undefined }[] }> {
  const original = globalThis.setInterval;
  const timers: { timer: NodeJS.Timeout; ms: number | undefined }[] = [];
  globalThis.setInterval = ((fn: () => void, ms?: number) => {
    const timer = original(fn, ms);
    timers.push({ timer, ms });
    return timer;
  }) as typeof setInterval;
  try {
    return { value: await run(), timers };
  } finally {
    globalThis.setInterval = original;
  }
}

/** long enough for several 5 ms timer ticks */
export const settle = (ms = 40) => new Promise((resolve) => setTimeout(resolve, ms));

export const T = Date.UTC(2026, 0, 1);

/** a store on the stand-in database and a fake clock at T, with a stand-in limiter attached for `classes` */
export function storeOn(
  cells: () => CellSnapshot[],
  dbOptions: FakeDbOptions = {},
  options: Partial<PostgresRateLimitStoreOptions> = {},
  classes: string[] = ['writes', 'reads'],
) {
  const fake = fakeDb(dbOptions);
  const clock = createFakeClock(T);
  const errors = recordingErrors();
  const store = createPostgresRateLimitStore({
    db: fake.db,
    instanceId: 'a',
    clock,
    errors,
    syncIntervalMs: 0,
    ...options,
  });
  const limiter = fakeClient(cells);
  store.attach(limiter.client, classes);
  return { fake, clock, errors, store, limiter };
}

const SYNC_PARAMS = [
  'instance',
  'partitions',
  'classes',
  'starts',
  'prevStarts',
  'limits',
  'counts',
  'prevCounts',
  'weights',
  'activeS',
  'cutoff',
] as const;

/** the sync statement's parameters by name */
export function params(values: unknown[]): Record<(typeof SYNC_PARAMS)[number], unknown> {
  return Object.fromEntries(SYNC_PARAMS.map((name, i) => [name, values[i]])) as Record<
    (typeof SYNC_PARAMS)[number],
    unknown
  >;
}
