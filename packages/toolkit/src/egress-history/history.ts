/**
 * createEgressHistory: per-minute aggregates of one instance's dependency
 * calls, kept in memory and written with ONE statement per flush interval,
 * whatever the traffic. Each attempt adds 1 to its minute's count for its
 * kind and, unless it was refused before reaching the dependency, to a
 * latency bucket; a failed attempt is also kept among the dependency's last
 * errors. A flush upserts every minute still in memory with its running
 * totals (`= excluded`, so a retried flush never counts twice) and the
 * breaker, budget and last errors of every attached client. A minute that has
 * ended and was written leaves memory; a failed flush keeps everything and is
 * reported (`errors.report('egress-history', …)`), the next one writes it.
 * At most `maxMinutes` minutes wait in memory: beyond that the oldest is
 * dropped, and reported.
 */
import { type Clock, systemClock } from '../ids/index.ts';
import type { BackgroundErrors } from '../observability/index.ts';
import { oneAtATime, type Queryable } from '../postgres/index.ts';
import {
  type BreakerState,
  type Disposable,
  EGRESS_KINDS,
  type EgressAttempt,
  type EgressKind,
  type Event,
} from '../resilience/index.ts';
import { LATENCY_BUCKETS, latencyBucket } from './buckets.ts';

const MINUTE_MS = 60_000;
const COMPONENT = 'egress-history';

/** What `attach` needs of a dependency client (`createDependencyClient` gives all of it). */
export interface EgressSource {
  name: string;
  onAttempt: Event<EgressAttempt>;
  status(): { breaker: BreakerState; budgetRemaining: number };
}

/** One failed attempt or refused call, as the history keeps it (no body, no header but the two ids). */
export interface EgressErrorRecord {
  at: string;
  kind: EgressKind;
  status: number | null;
  method: string;
  route: string;
  attempt: number;
  requestId: string | null;
  idempotencyKey: string | null;
  error: string | null;
}

export interface EgressHistoryOptions {
  db: Queryable;
  /** unique per process (e.g. `web-<host>-<pid>`); rows are keyed by it */
  instanceId: string;
  /** every failed flush and every dropped minute is reported here */
  errors: BackgroundErrors;
  clock?: Clock;
  /** default 10 000; the timer `start()` sets */
  intervalMs?: number;
  /** failed attempts kept per dependency (default 10) */
  lastErrors?: number;
  /** minutes kept in memory while flushes fail (default 30); the oldest is dropped beyond */
  maxMinutes?: number;
}

export interface EgressHistory {
  /** record every attempt of this client; its breaker and budget are sampled at each flush */
  attach(source: EgressSource): Disposable;
  /** count one answer served stale for `dependency` (e.g. from `staleIfError`'s `onStaleServed`) */
  recordStale(dependency: string): void;
  /** `recordStale(dependency)` on every stale serve of a cache */
  attachStale(cache: { onStaleServed: Event<unknown> }, dependency: string): Disposable;
  /** flush every `intervalMs` until `stop()` */
  start(): void;
  /** stop the timer, detach every source, and flush one last time */
  stop(): Promise<void>;
  /** write now; resolves true when written, false when it failed (and was reported) */
  flush(): Promise<boolean>;
}

interface Cell {
  counts: number[];
  stale: number;
  latency: number[];
}

const FLUSH_SQL = `
WITH minutes AS (
  INSERT INTO egress_minutes AS m (minute, instance_id, dependency, counts, stale, latency_buckets, updated_at)
  SELECT t.minute, $1, t.dependency, t.counts::int[], t.stale, t.latency::int[], $2
  FROM unnest($3::timestamptz[], $4::text[], $5::text[], $6::int[], $7::text[])
    AS t(minute, dependency, counts, stale, latency)
  ON CONFLICT (minute, instance_id, dependency) DO UPDATE SET
    counts = excluded.counts, stale = excluded.stale,
    latency_buckets = excluded.latency_buckets, updated_at = excluded.updated_at
  RETURNING 1
), instances AS (
  INSERT INTO egress_instances AS i (instance_id, dependency, breaker, budget_remaining, last_errors, updated_at)
  SELECT $1, t.dependency, t.breaker, t.budget, t.errors::jsonb, $2
  FROM unnest($8::text[], $9::text[], $10::float8[], $11::text[]) AS t(dependency, breaker, budget, errors)
  ON CONFLICT (instance_id, dependency) DO UPDATE SET
    breaker = excluded.breaker, budget_remaining = excluded.budget_remaining,
    last_errors = excluded.last_errors, updated_at = excluded.updated_at
  RETURNING 1
)
SELECT (SELECT count(*) FROM minutes)::int AS minutes, (SELECT count(*) FROM instances)::int AS instances`;

const arrayLiteral = (values: readonly number[]) => `{${values.join(',')}}`;

export function createEgressHistory(options: EgressHistoryOptions): EgressHistory {
  const { db, instanceId, errors } = options;
  if (!instanceId) throw new Error('createEgressHistory: instanceId is required');
  const clock = options.clock ?? systemClock;
  const intervalMs = options.intervalMs ?? 10_000;
  const lastErrorsKept = options.lastErrors ?? 10;
  const maxMinutes = options.maxMinutes ?? 30;
  /** minute start (ms) → dependency → totals */
  const minutes = new Map<number, Map<string, Cell>>();
  const lastErrors = new Map<string, EgressErrorRecord[]>();
  const sources = new Set<EgressSource>();
  const attachedSources = new Map<EgressSource, Disposable>();
  const attachments = new Set<Disposable>();
  /** the newest minute that left memory: nothing may be added to it again */
  let closedThroughMs = Number.NEGATIVE_INFINITY;
  let timer: NodeJS.Timeout | undefined;

  function cellOf(dependency: string): Cell {
    let minute = Math.floor(clock.now() / MINUTE_MS) * MINUTE_MS;
    // a clock that stepped back must not reopen a minute already written and forgotten
    if (minute <= closedThroughMs) minute = closedThroughMs + MINUTE_MS;
    let deps = minutes.get(minute);
    if (!deps) {
      deps = new Map();
      minutes.set(minute, deps);
      if (minutes.size > maxMinutes) dropOldest();
    }
    let cell = deps.get(dependency);
    if (!cell) {
      cell = {
        counts: new Array(EGRESS_KINDS.length).fill(0),
        stale: 0,
        latency: new Array(LATENCY_BUCKETS).fill(0),
      };
      deps.set(dependency, cell);
    }
    return cell;
  }

  function dropOldest(): void {
    const oldest = Math.min(...minutes.keys());
    minutes.delete(oldest);
    closedThroughMs = Math.max(closedThroughMs, oldest);
    errors.report(COMPONENT, new Error(`dropped the unwritten minute ${new Date(oldest).toISOString()}`), {
      instance: instanceId,
      maxMinutes,
    });
  }

  function record(attempt: EgressAttempt): void {
    const cell = cellOf(attempt.dependency);
    cell.counts[EGRESS_KINDS.indexOf(attempt.kind)]++;
    if (attempt.kind !== 'rejected') cell.latency[latencyBucket(attempt.durationMs)]++;
    if (attempt.kind === 'success') return;
    const kept = lastErrors.get(attempt.dependency) ?? [];
    if (!kept.length) lastErrors.set(attempt.dependency, kept);
    kept.push({
      at: new Date(attempt.at).toISOString(),
      kind: attempt.kind,
      status: attempt.status ?? null,
      method: attempt.method,
      route: attempt.route,
      attempt: attempt.attempt,
      requestId: attempt.requestId ?? null,
      idempotencyKey: attempt.idempotencyKey ?? null,
      error: attempt.error ?? null,
    });
    if (kept.length > lastErrorsKept) kept.splice(0, kept.length - lastErrorsKept);
  }

  async function write(): Promise<boolean> {
    const nowMs = clock.now();
    const currentMinute = Math.floor(nowMs / MINUTE_MS) * MINUTE_MS;
    const written = [...minutes.keys()];
    const rows = written.flatMap((minute) =>
      [...(minutes.get(minute) ?? [])].map(([dependency, cell]) => ({ minute, dependency, cell })),
    );
    try {
      const states = [...sources].map((source) => ({ name: source.name, ...source.status() }));
      if (rows.length === 0 && states.length === 0) return true;
      await db.query(FLUSH_SQL, [
        instanceId,
        new Date(nowMs).toISOString(),
        rows.map((r) => new Date(r.minute).toISOString()),
        rows.map((r) => r.dependency),
        rows.map((r) => arrayLiteral(r.cell.counts)),
        rows.map((r) => r.cell.stale),
        rows.map((r) => arrayLiteral(r.cell.latency)),
        states.map((s) => s.name),
        states.map((s) => s.breaker),
        states.map((s) => s.budgetRemaining),
        states.map((s) => JSON.stringify(lastErrors.get(s.name) ?? [])),
      ]);
    } catch (error) {
      errors.report(COMPONENT, error, { instance: instanceId, minutes: written.length });
      return false;
    }
    // ended minutes are complete (attempts land in the minute they end in): they leave memory
    for (const minute of written) {
      if (minute < currentMinute) {
        minutes.delete(minute);
        closedThroughMs = Math.max(closedThroughMs, minute);
      }
    }
    return true;
  }

  // one flush at a time: a second one runs after the first, on what is in memory then
  const flushes = oneAtATime(write);
  const flush = (): Promise<boolean> => flushes.run();

  function attachEvent<T>(event: Event<T>, listener: (value: T) => void): Disposable {
    const subscription = event(listener);
    const handle: Disposable = {
      dispose: () => {
        subscription.dispose();
        attachments.delete(handle);
      },
    };
    attachments.add(handle);
    return handle;
  }

  return {
    attach(source) {
      // attaching a source twice must not count its attempts twice
      const attached = attachedSources.get(source);
      if (attached) return attached;
      sources.add(source);
      const handle = attachEvent(source.onAttempt, record);
      const detach: Disposable = {
        dispose: () => {
          handle.dispose();
          sources.delete(source);
          attachedSources.delete(source);
        },
      };
      attachedSources.set(source, detach);
      return detach;
    },
    recordStale(dependency) {
      cellOf(dependency).stale++;
    },
    attachStale(cache, dependency) {
      return attachEvent(cache.onStaleServed, () => {
        cellOf(dependency).stale++;
      });
    },
    start() {
      if (timer) return;
      timer = setInterval(() => {
        if (!flushes.busy()) void flush();
      }, intervalMs);
      timer.unref();
    },
    async stop() {
      clearInterval(timer);
      timer = undefined;
      await flush();
      for (const handle of [...attachments]) handle.dispose();
      sources.clear();
    },
    flush,
  };
}
