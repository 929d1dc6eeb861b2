/**
 * readEgressHistory: the whole deployment's view of its dependencies over the
 * last `minutes` minutes — every instance's per-minute rows summed, minutes
 * with no row filled with zeros, percentiles from the summed latency buckets,
 * and each instance's last breaker, budget and errors (an instance that has
 * not written for `staleAfterMs` is listed with `fresh: false`).
 * reapEgressHistory deletes what is older than a retention.
 */
import { deleteInBatches, type Queryable } from '../postgres/index.ts';
import { type BreakerState, EGRESS_KINDS, type EgressKind } from '../resilience/index.ts';
import { bucketPercentile, LATENCY_BUCKETS } from './buckets.ts';
import type { EgressErrorRecord } from './history.ts';

const MINUTE_MS = 60_000;

export interface EgressHistoryReadOptions {
  /** epoch ms; the window ends with the minute holding it */
  now: number;
  /** the window, in whole minutes ending with the current one (default 60) */
  minutes?: number;
  /** an instance that has not written for longer is not fresh (default 30 000: three default intervals) */
  staleAfterMs?: number;
  /** errors listed per dependency, newest first across instances (default 10) */
  lastErrors?: number;
}

export type EgressCounts = Record<EgressKind, number>;

export interface EgressMinute {
  /** the minute's start, ISO 8601 */
  minute: string;
  counts: EgressCounts;
  stale: number;
}

export interface EgressInstanceState {
  instanceId: string;
  breaker: BreakerState;
  budgetRemaining: number;
  updatedAt: string;
  fresh: boolean;
}

export interface EgressDependencyHistory {
  dependency: string;
  /** oldest first, one per minute of the window */
  minutes: EgressMinute[];
  /** counts over the whole window */
  totals: EgressCounts;
  /** stale serves over the whole window */
  stale: number;
  /** attempts that reached (or tried to reach) the dependency per second over the last full minute; refused calls excluded */
  attemptsPerSecond: number;
  /** over the window, from the summed latency buckets (refused calls excluded), to the µs; null without attempts */
  p50Ms: number | null;
  p99Ms: number | null;
  instances: EgressInstanceState[];
  lastErrors: Array<EgressErrorRecord & { instanceId: string }>;
}

export interface EgressHistoryView {
  from: string;
  to: string;
  dependencies: EgressDependencyHistory[];
}

const zeroCounts = (): EgressCounts => Object.fromEntries(EGRESS_KINDS.map((k) => [k, 0])) as EgressCounts;

function addCounts(into: EgressCounts, counts: readonly number[]): void {
  EGRESS_KINDS.forEach((kind, i) => {
    into[kind] += counts[i] ?? 0;
  });
}

const attemptsOf = (counts: EgressCounts) =>
  EGRESS_KINDS.reduce((sum, kind) => (kind === 'rejected' ? sum : sum + counts[kind]), 0);

/** to the microsecond: interpolation leaves float noise (242.50000000000003) */
const roundedMs = (ms: number | null) => (ms === null ? null : Math.round(ms * 1000) / 1000);

interface MinuteRow {
  dependency: string;
  minute_ms: string;
  counts: number[];
  stale: number;
  latency_buckets: number[];
}

interface InstanceRow {
  instance_id: string;
  dependency: string;
  breaker: BreakerState;
  budget_remaining: number;
  last_errors: EgressErrorRecord[];
  updated_at: Date;
}

export async function readEgressHistory(
  db: Queryable,
  options: EgressHistoryReadOptions,
): Promise<EgressHistoryView> {
  const window = Math.max(1, Math.floor(options.minutes ?? 60));
  const staleAfterMs = options.staleAfterMs ?? 30_000;
  const errorsKept = options.lastErrors ?? 10;
  const lastMinute = Math.floor(options.now / MINUTE_MS) * MINUTE_MS;
  const firstMinute = lastMinute - (window - 1) * MINUTE_MS;
  // the last full minute (for the rate) may sit just before a one-minute window
  const queryFrom = Math.min(firstMinute, lastMinute - MINUTE_MS);
  const [minuteRows, instanceRows] = await Promise.all([
    db.query<MinuteRow>(
      `SELECT dependency, (extract(epoch FROM minute) * 1000)::bigint AS minute_ms, counts, stale, latency_buckets
       FROM egress_minutes WHERE minute >= $1 AND minute <= $2`,
      [new Date(queryFrom), new Date(lastMinute)],
    ),
    db.query<InstanceRow>(
      `SELECT instance_id, dependency, breaker, budget_remaining, last_errors, updated_at
       FROM egress_instances WHERE updated_at >= $1 ORDER BY instance_id`,
      [new Date(firstMinute)],
    ),
  ]);

  const byDependency = new Map<string, { minutes: Map<number, EgressMinute>; latency: number[] }>();
  const entryOf = (dependency: string) => {
    let entry = byDependency.get(dependency);
    if (!entry) {
      entry = { minutes: new Map(), latency: new Array(LATENCY_BUCKETS).fill(0) };
      byDependency.set(dependency, entry);
    }
    return entry;
  };
  for (const row of minuteRows.rows) {
    const entry = entryOf(row.dependency);
    const minuteMs = Number(row.minute_ms);
    let minute = entry.minutes.get(minuteMs);
    if (!minute) {
      minute = { minute: new Date(minuteMs).toISOString(), counts: zeroCounts(), stale: 0 };
      entry.minutes.set(minuteMs, minute);
    }
    addCounts(minute.counts, row.counts);
    minute.stale += row.stale;
    if (minuteMs >= firstMinute) {
      row.latency_buckets.forEach((n, i) => {
        entry.latency[i] = (entry.latency[i] ?? 0) + n;
      });
    }
  }
  for (const row of instanceRows.rows) entryOf(row.dependency);

  const dependencies = [...byDependency.keys()].sort().map((dependency): EgressDependencyHistory => {
    const entry = byDependency.get(dependency) as NonNullable<ReturnType<typeof byDependency.get>>;
    const minutes: EgressMinute[] = [];
    const totals = zeroCounts();
    let stale = 0;
    for (let m = firstMinute; m <= lastMinute; m += MINUTE_MS) {
      const minute = entry.minutes.get(m) ?? {
        minute: new Date(m).toISOString(),
        counts: zeroCounts(),
        stale: 0,
      };
      minutes.push(minute);
      addCounts(
        totals,
        EGRESS_KINDS.map((k) => minute.counts[k]),
      );
      stale += minute.stale;
    }
    const lastFull = entry.minutes.get(lastMinute - MINUTE_MS);
    const rows = instanceRows.rows.filter((r) => r.dependency === dependency);
    return {
      dependency,
      minutes,
      totals,
      stale,
      attemptsPerSecond: lastFull ? attemptsOf(lastFull.counts) / 60 : 0,
      p50Ms: roundedMs(bucketPercentile(entry.latency, 0.5)),
      p99Ms: roundedMs(bucketPercentile(entry.latency, 0.99)),
      instances: rows.map((r) => ({
        instanceId: r.instance_id,
        breaker: r.breaker,
        budgetRemaining: r.budget_remaining,
        updatedAt: r.updated_at.toISOString(),
        fresh: options.now - r.updated_at.getTime() <= staleAfterMs,
      })),
      lastErrors: rows
        .flatMap((r) => r.last_errors.map((e) => ({ ...e, instanceId: r.instance_id })))
        .filter((e) => Date.parse(e.at) >= firstMinute)
        .sort((a, b) => Date.parse(b.at) - Date.parse(a.at))
        .slice(0, errorsKept),
    };
  });
  return {
    from: new Date(firstMinute).toISOString(),
    to: new Date(lastMinute + MINUTE_MS).toISOString(),
    dependencies,
  };
}

/** Delete minutes older than `olderThan` and instances silent since; returns how many rows went. */
export async function reapEgressHistory(db: Queryable, options: { olderThan: Date }): Promise<number> {
  const minutes = await deleteInBatches(db, {
    table: 'egress_minutes',
    where: 'minute < $1',
    params: [options.olderThan],
  });
  const instances = await deleteInBatches(db, {
    table: 'egress_instances',
    where: 'updated_at < $1',
    params: [options.olderThan],
  });
  return minutes + instances;
}
