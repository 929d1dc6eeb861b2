/**
 * The lineage recorder: inbound requests and outbound attempts are pushed to
 * an in-memory buffer on the hot path (no I/O, no await) and written in
 * batches — one multi-row INSERT per table per flush, every
 * `flushIntervalMs` or as soon as a batch is full.
 *
 * Lineage is diagnostics, not a record of truth: at most `maxBuffered` rows
 * wait; beyond that new rows are dropped and counted
 * (`steadfast_lineage_dropped_total`, one summary warning per interval, never
 * a line per row). A failed flush is reported and its rows are kept for the
 * next try, within the same bound.
 */
import { Counter, type Registry } from 'prom-client';
import type { Clock } from '../ids/index.ts';
import { type BackgroundErrors, type Logger, registerOnce } from '../observability/index.ts';
import { oneAtATime, type Queryable } from '../postgres/index.ts';
import type { Disposable, EgressAttempt } from '../resilience/index.ts';

export type IdempotencyOutcome = 'executed' | 'replayed' | 'conflict';

/** One inbound request, as the plugin records it. */
export interface LineageRequest {
  requestId: string;
  tenantId?: string | undefined;
  method: string;
  /** the route template, OpenAPI form (`/items/{id}`) */
  route: string;
  status: number;
  durationMs: number;
  idempotencyKey?: string | undefined;
  idempotencyOutcome?: IdempotencyOutcome | undefined;
  /** ids of the resources the request touched */
  refs?: string[] | undefined;
  /** epoch ms at the request's start; default: now − durationMs */
  at?: number;
}

/** Anything that announces its attempts: a `DependencyClient` of /resilience. */
export interface AttemptSource {
  onAttempt(listener: (attempt: EgressAttempt) => void): Disposable;
}

export interface LineageRecorderOptions {
  db: Queryable;
  /** failed flushes are reported here (component `lineage`) */
  errors: BackgroundErrors;
  /** the summary warning of dropped rows, at most one per interval */
  log: Logger;
  clock?: Clock;
  /** default 1000 */
  flushIntervalMs?: number;
  /** rows waiting at most, requests and attempts together (default 10000) */
  maxBuffered?: number;
  /** rows per table per INSERT; a full batch is flushed at once (default 500) */
  batchSize?: number;
  /** where `steadfast_lineage_dropped_total` lives */
  registry?: Registry;
}

export interface LineageRecorder {
  recordRequest(row: LineageRequest): void;
  recordAttempt(attempt: EgressAttempt): void;
  /** record every attempt of this client (once per client, however often attached) */
  attach(client: AttemptSource): Disposable;
  start(): void;
  /** stops the timer and writes what is buffered (one last try) */
  stop(): Promise<void>;
  /** writes one batch per table now; resolves when written (or reported) */
  flush(): Promise<void>;
  /** rows waiting to be written */
  readonly buffered: number;
  /** rows dropped since the recorder was created */
  readonly dropped: number;
}

const DROPPED = 'steadfast_lineage_dropped_total';
/** refs travel as one text per row, joined by a character ids never hold */
const REF_SEPARATOR = '\x1f';
const MAX_TEXT = 1000;

const INSERT_REQUESTS = `
INSERT INTO lineage_requests
  (at, request_id, tenant_id, method, route, status, duration_ms, idempotency_key, idempotency_outcome, refs)
SELECT to_timestamp(u.at / 1000.0), u.request_id, u.tenant_id, u.method, u.route, u.status, u.duration_ms,
       u.idempotency_key, u.outcome, coalesce(string_to_array(u.refs, E'\\x1f'), '{}')
FROM unnest($1::float8[], $2::text[], $3::text[], $4::text[], $5::text[], $6::int[], $7::real[],
            $8::text[], $9::text[], $10::text[])
  AS u(at, request_id, tenant_id, method, route, status, duration_ms, idempotency_key, outcome, refs)`;

const INSERT_ATTEMPTS = `
INSERT INTO lineage_attempts
  (at, request_id, dependency, method, route, status, duration_ms, attempt, kind, outcome, rejected_by, error,
   idempotency_key)
SELECT to_timestamp(u.at / 1000.0), u.request_id, u.dependency, u.method, u.route, u.status, u.duration_ms,
       u.attempt, u.kind, u.outcome, u.rejected_by, u.error, u.idempotency_key
FROM unnest($1::float8[], $2::text[], $3::text[], $4::text[], $5::text[], $6::int[], $7::real[], $8::int[],
            $9::text[], $10::text[], $11::text[], $12::text[], $13::text[])
  AS u(at, request_id, dependency, method, route, status, duration_ms, attempt, kind, outcome, rejected_by,
       error, idempotency_key)`;

const short = (value: string | undefined) =>
  value === undefined ? null : value.length > MAX_TEXT ? value.slice(0, MAX_TEXT) : value;

function requestColumns(rows: LineageRequest[]): unknown[] {
  return [
    rows.map((r) => r.at),
    rows.map((r) => r.requestId),
    rows.map((r) => r.tenantId ?? null),
    rows.map((r) => r.method),
    rows.map((r) => r.route),
    rows.map((r) => r.status),
    rows.map((r) => r.durationMs),
    rows.map((r) => r.idempotencyKey ?? null),
    rows.map((r) => r.idempotencyOutcome ?? null),
    rows.map((r) =>
      r.refs?.length ? r.refs.filter((ref) => !ref.includes(REF_SEPARATOR)).join(REF_SEPARATOR) : null,
    ),
  ];
}

function attemptColumns(rows: EgressAttempt[]): unknown[] {
  return [
    rows.map((a) => a.at),
    rows.map((a) => a.requestId ?? null),
    rows.map((a) => a.dependency),
    rows.map((a) => a.method),
    rows.map((a) => a.route),
    rows.map((a) => a.status ?? null),
    rows.map((a) => a.durationMs),
    rows.map((a) => a.attempt),
    rows.map((a) => a.kind),
    rows.map((a) => a.outcome),
    rows.map((a) => a.rejectedBy ?? null),
    rows.map((a) => short(a.error)),
    rows.map((a) => a.idempotencyKey ?? null),
  ];
}

export function createLineageRecorder(options: LineageRecorderOptions): LineageRecorder {
  const { db, errors, log } = options;
  const clock = options.clock ?? { now: () => Date.now() };
  const flushIntervalMs = options.flushIntervalMs ?? 1000;
  const maxBuffered = options.maxBuffered ?? 10_000;
  const batchSize = options.batchSize ?? 500;
  const counter = options.registry
    ? registerOnce(
        options.registry,
        DROPPED,
        () =>
          new Counter({
            name: DROPPED,
            help: 'Lineage rows dropped because the buffer was full (lineage is diagnostics: overload drops it first)',
            labelNames: ['table'] as const,
            registers: [options.registry as Registry],
          }),
      )
    : undefined;

  let requests: LineageRequest[] = [];
  let attempts: EgressAttempt[] = [];
  let dropped = 0;
  let droppedSinceWarning = 0;
  let timer: NodeJS.Timeout | undefined;
  let soon = false;
  const attached = new Map<AttemptSource, Disposable>();

  const drop = (table: 'requests' | 'attempts', n: number) => {
    dropped += n;
    droppedSinceWarning += n;
    counter?.inc({ table }, n);
  };
  const room = () => maxBuffered - requests.length - attempts.length;
  const flushSoon = () => {
    if (soon || writes.busy()) return;
    soon = true;
    setImmediate(() => {
      soon = false;
      void flush();
    });
  };

  async function writeOnce(): Promise<void> {
    const reqs = requests.splice(0, batchSize);
    const atts = attempts.splice(0, batchSize);
    let failed = false;
    if (reqs.length) {
      try {
        await db.query(INSERT_REQUESTS, requestColumns(reqs));
      } catch (error) {
        failed = true;
        errors.report('lineage', error, { table: 'lineage_requests', rows: reqs.length });
        requests = reqs.concat(requests);
      }
    }
    if (atts.length) {
      try {
        await db.query(INSERT_ATTEMPTS, attemptColumns(atts));
      } catch (error) {
        failed = true;
        errors.report('lineage', error, { table: 'lineage_attempts', rows: atts.length });
        attempts = atts.concat(attempts);
      }
    }
    // rows kept for the next try stay within the bound: the newest beyond it go
    const over = -room();
    if (over > 0) {
      const fromAttempts = Math.min(over, attempts.length);
      attempts.length -= fromAttempts;
      if (fromAttempts) drop('attempts', fromAttempts);
      if (over > fromAttempts) {
        requests.length -= over - fromAttempts;
        drop('requests', over - fromAttempts);
      }
    }
    // a full buffer drains batch after batch; after a failure the next tick tries again
    if (!failed && (requests.length >= batchSize || attempts.length >= batchSize)) return writeOnce();
  }

  // one write at a time: a flush asked for meanwhile runs after it, on what is buffered then
  const writes = oneAtATime(async () => {
    if (requests.length === 0 && attempts.length === 0) return;
    await writeOnce();
  });
  const flush = (): Promise<void> => writes.run();

  const warnDropped = () => {
    if (droppedSinceWarning === 0) return;
    log.warn(
      { dropped: droppedSinceWarning, maxBuffered },
      'lineage buffer full: rows dropped (lineage is diagnostics; see steadfast_lineage_dropped_total)',
    );
    droppedSinceWarning = 0;
  };
  const tick = () => {
    warnDropped();
    void flush();
  };

  const recorder: LineageRecorder = {
    recordRequest(row) {
      if (room() <= 0) return drop('requests', 1);
      if (row.at === undefined) row.at = clock.now() - row.durationMs;
      requests.push(row);
      if (requests.length >= batchSize) flushSoon();
    },
    recordAttempt(attempt) {
      if (room() <= 0) return drop('attempts', 1);
      attempts.push(attempt);
      if (attempts.length >= batchSize) flushSoon();
    },
    attach(client) {
      const existing = attached.get(client);
      if (existing) return existing;
      const subscription = client.onAttempt((attempt) => recorder.recordAttempt(attempt));
      const disposable = {
        dispose: () => {
          subscription.dispose();
          attached.delete(client);
        },
      };
      attached.set(client, disposable);
      return disposable;
    },
    start() {
      if (timer) return;
      timer = setInterval(tick, flushIntervalMs);
      timer.unref();
    },
    async stop() {
      clearInterval(timer);
      timer = undefined;
      for (const d of [...attached.values()]) d.dispose();
      await flush();
      warnDropped();
    },
    flush,
    get buffered() {
      return requests.length + attempts.length;
    },
    get dropped() {
      return dropped;
    },
  };
  return recorder;
}
