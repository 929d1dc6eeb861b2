/**
 * Several instances share one limit through Postgres. Every sync interval each
 * instance runs ONE statement: it reads the other instances' counts and claims
 * for its active cells, computes for each cell a share of what is left —
 * `max(1, floor(remaining / activeInstances))`, 0 when nothing is left —
 * and upserts its own counts with that share as its claim (`reserved`), all
 * in the same statement. Between syncs it admits at most its share, so N
 * instances cannot each spend the whole remainder. The cost is one small
 * statement per instance per interval, whatever the traffic; overrides are
 * reloaded every few seconds by a second statement. A failed sync is reported
 * (log + `steadfast_background_errors_total`) and the limiter keeps answering
 * from the last known counts (fail open).
 */
import { Histogram, type Registry } from 'prom-client';
import type { Clock } from '../ids/index.ts';
import type { BackgroundErrors } from '../observability/index.ts';
import { registerOnce } from '../observability/index.ts';
import { assertMigratedIfReachable, type Queryable } from '../postgres/index.ts';
import { rateLimitMigrations } from './migrations.ts';
import { loadRateLimitOverrides } from './overrides.ts';
import type { CellSnapshot, RateLimitStore, RateLimitStoreClient, SyncResult } from './store.ts';

export interface PostgresRateLimitStoreOptions {
  db: Queryable;
  /** unique per process (e.g. host:pid plus a random suffix) */
  instanceId: string;
  clock: Clock;
  /** every failed sync or override reload is reported here */
  errors: BackgroundErrors;
  /** default 100; 0 = no timer (call `sync()` yourself) */
  syncIntervalMs?: number;
  /** default 5000 */
  overridesReloadMs?: number;
  /** an instance counts as active while it synced within this many seconds (default 3) */
  activeWithinS?: number;
  /** how often the sync also deletes windows long over (default 10 000) */
  cleanupEveryMs?: number;
  /** `steadfast_rate_limit_sync_seconds` goes here */
  registry?: Registry;
}

export interface PostgresRateLimitStore extends RateLimitStore {
  /** one sync now (the timer calls this); never rejects: failures are reported */
  sync(): Promise<void>;
}

const SYNC_SQL = `
WITH cell AS (
  SELECT * FROM unnest($2::text[], $3::text[], $4::bigint[], $5::bigint[], $6::int[], $7::int[], $8::int[], $9::float8[])
    WITH ORDINALITY AS t(partition, class, window_start_ms, prev_start_ms, lim, own, own_prev, weight, idx)
), active AS (
  SELECT 1 + count(*)::int AS n FROM rate_limit_instances
  WHERE instance <> $1 AND seen_at > now() - make_interval(secs => $10)
), others AS (
  SELECT cell.idx,
    coalesce(sum(c.count + c.reserved) FILTER (WHERE c.window_start_ms = cell.window_start_ms), 0)::int AS cur,
    coalesce(sum(c.count + c.reserved) FILTER (WHERE c.window_start_ms = cell.prev_start_ms), 0)::int AS prev,
    count(DISTINCT c.instance)::int AS sharers,
    EXISTS (SELECT 1 FROM rate_limit_counts m WHERE m.partition = cell.partition AND m.class = cell.class
            AND m.instance = $1 AND m.window_start_ms IN (cell.window_start_ms, cell.prev_start_ms)) AS published
  FROM cell LEFT JOIN rate_limit_counts c
    ON c.partition = cell.partition AND c.class = cell.class AND c.instance <> $1
   AND c.window_start_ms IN (cell.window_start_ms, cell.prev_start_ms)
  GROUP BY cell.idx, cell.partition, cell.class, cell.window_start_ms, cell.prev_start_ms
), granted AS (
  SELECT cell.*, others.cur AS others_cur, others.prev AS others_prev,
    CASE WHEN r.rem < 1 THEN 0 ELSE greatest(1, floor(r.rem / r.n))::int END AS grant_units
  FROM cell JOIN others USING (idx) CROSS JOIN active
  CROSS JOIN LATERAL (SELECT cell.lim - cell.own - others.cur - (cell.own_prev + others.prev) * cell.weight AS rem,
    -- divide among the instances using the cell; every active one while this one has not published it yet
    CASE WHEN others.published THEN least(active.n, 1 + others.sharers) ELSE active.n END AS n) r
), upserted AS (
  INSERT INTO rate_limit_counts AS c (partition, class, window_start_ms, instance, count, reserved, updated_at)
  SELECT partition, class, window_start_ms, $1, own, grant_units, now() FROM granted
  UNION ALL
  SELECT partition, class, prev_start_ms, $1, own_prev, 0, now() FROM granted WHERE own_prev > 0
  ON CONFLICT (partition, class, window_start_ms, instance)
  DO UPDATE SET count = excluded.count, reserved = excluded.reserved, updated_at = excluded.updated_at
), beat AS (
  INSERT INTO rate_limit_instances (instance, seen_at) VALUES ($1, now())
  ON CONFLICT (instance) DO UPDATE SET seen_at = excluded.seen_at
), old_counts AS (
  DELETE FROM rate_limit_counts WHERE $11::bigint IS NOT NULL AND window_start_ms < $11::bigint
), old_instances AS (
  DELETE FROM rate_limit_instances WHERE $11::bigint IS NOT NULL AND seen_at < now() - interval '1 hour'
)
SELECT (SELECT n FROM active) AS active,
  coalesce((SELECT json_agg(json_build_array(grant_units, others_cur, others_prev) ORDER BY idx) FROM granted), '[]') AS cells`;

export function createPostgresRateLimitStore(options: PostgresRateLimitStoreOptions): PostgresRateLimitStore {
  const { db, instanceId, clock, errors } = options;
  const syncIntervalMs = options.syncIntervalMs ?? 100;
  const overridesReloadMs = options.overridesReloadMs ?? 5000;
  const activeWithinS = options.activeWithinS ?? 3;
  const cleanupEveryMs = options.cleanupEveryMs ?? 10_000;
  const lookaheadMs = syncIntervalMs > 0 ? syncIntervalMs : 100;
  if (!instanceId) throw new Error('createPostgresRateLimitStore: instanceId is required');
  const histogram = options.registry
    ? registerOnce(
        options.registry,
        'steadfast_rate_limit_sync_seconds',
        () =>
          new Histogram({
            name: 'steadfast_rate_limit_sync_seconds',
            help: 'Duration of one rate-limit sync statement (publish own counts, read the others)',
            buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
            registers: [options.registry as Registry],
          }),
      )
    : undefined;
  let client: RateLimitStoreClient | undefined;
  let knownClasses: string[] = [];
  let timer: NodeJS.Timeout | undefined;
  let inFlight: Promise<void> | undefined;
  let lastCleanupMs = 0;
  let lastOverridesMs = 0;
  let largestWindowMs = 0;
  let closed = false;
  let started = false;

  async function reloadOverrides(): Promise<void> {
    try {
      client?.setOverrides(await loadRateLimitOverrides(db, knownClasses));
    } catch (error) {
      errors.report('rate-limit-overrides', error, { instance: instanceId });
    }
  }

  async function runSync(): Promise<void> {
    if (!client) return;
    const nowMs = clock.now();
    if (nowMs - lastOverridesMs >= overridesReloadMs) {
      lastOverridesMs = nowMs;
      await reloadOverrides();
    }
    const cells: CellSnapshot[] = client.snapshot();
    for (const c of cells) largestWindowMs = Math.max(largestWindowMs, c.windowMs);
    const cleanup = nowMs - lastCleanupMs >= cleanupEveryMs;
    const cutoffMs = cleanup ? nowMs - Math.max(600_000, 2 * largestWindowMs) : null;
    const stop = histogram?.startTimer();
    try {
      const { rows } = await db.query(SYNC_SQL, [
        instanceId,
        cells.map((c) => c.partition),
        cells.map((c) => c.className),
        cells.map((c) => c.windowStartMs),
        cells.map((c) => c.windowStartMs - c.windowMs),
        cells.map((c) => c.limit),
        cells.map((c) => c.count),
        cells.map((c) => c.prevCount),
        // the previous window's weight at the next sync: the share may use what slides out meanwhile
        // (take() still checks the estimate at its own moment)
        cells.map((c) => Math.max(0, c.prevWeight - lookaheadMs / c.windowMs)),
        activeWithinS,
        cutoffMs,
      ]);
      if (cleanup) lastCleanupMs = nowMs;
      const result: SyncResult = {
        activeInstances: rows[0].active,
        cells: (rows[0].cells as [number, number, number][]).map(([grant, othersCount, othersPrevCount]) => ({
          grant,
          othersCount,
          othersPrevCount,
        })),
      };
      client.apply(cells, result);
    } catch (error) {
      errors.report('rate-limit-sync', error, { instance: instanceId, cells: cells.length });
      client.applyLocally(cells);
    } finally {
      stop?.();
    }
  }

  const sync = (): Promise<void> => {
    inFlight ??= runSync().finally(() => {
      inFlight = undefined;
    });
    return inFlight;
  };

  return {
    attach(limiter, classes) {
      if (client) throw new Error('a rate limit store serves one limiter');
      client = limiter;
      knownClasses = classes;
    },
    async start() {
      if (closed) throw new Error('the rate limit store is closed');
      if (!(await assertMigratedIfReachable(db, rateLimitMigrations, 'rateLimitMigrations')))
        errors.report('rate-limit-sync', new Error('database unreachable at start: schema not checked'));
      await sync();
      started = true;
      if (syncIntervalMs > 0 && !timer) {
        timer = setInterval(() => void sync(), syncIntervalMs);
        timer.unref();
      }
    },
    sync,
    async close() {
      if (closed) return;
      closed = true;
      if (timer) clearInterval(timer);
      timer = undefined;
      await inFlight;
      if (!started) return;
      try {
        // leave at once: the others' shares grow at their next sync instead of after activeWithinS
        await db.query('DELETE FROM rate_limit_instances WHERE instance = $1', [instanceId]);
      } catch (error) {
        errors.report('rate-limit-sync', error, { instance: instanceId, during: 'close' });
      }
    },
  };
}
