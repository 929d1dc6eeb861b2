/**
 * Who still calls which version: `record(partition, version)` counts in memory
 * (a Map increment, nothing else on the request path); a flush every
 * `flushIntervalMs` adds the counts to `api_version_usage` with ONE statement,
 * whatever the traffic. A failed flush keeps the counts for the next one and
 * is reported (`errors.report('api-version-usage', …)`). Counts are added, so
 * a flush whose commit succeeded but whose answer was lost counts twice:
 * usage is for deciding when to switch a version off, not for billing.
 */
import { type Clock, systemClock } from '../ids/index.ts';
import type { BackgroundErrors } from '../observability/index.ts';
import { assertMigratedIfReachable, oneAtATime, type Queryable } from '../postgres/index.ts';
import { versioningMigrations } from './migrations.ts';
import type { ApiVersions } from './versions.ts';

const COMPONENT = 'api-version-usage';

export interface VersionUsageOptions {
  db: Queryable;
  /** every failed flush and every dropped count is reported here */
  errors: BackgroundErrors;
  clock?: Clock;
  /** default 10 000; the timer `start()` sets */
  flushIntervalMs?: number;
  /** (partition, version) pairs kept in memory while flushes fail (default 100 000); new ones are dropped beyond */
  maxEntries?: number;
}

export interface VersionUsage {
  record(partition: string, version: string): void;
  /** check the migration (when the database answers), then flush every `flushIntervalMs` until `stop()` */
  start(): Promise<void>;
  /** stop the timer and flush one last time */
  stop(): Promise<void>;
  /** write now; resolves true when written (or nothing to write), false when it failed (and was reported) */
  flush(): Promise<boolean>;
}

interface Entry {
  partition: string;
  version: string;
  requests: number;
  firstMs: number;
  lastMs: number;
}

const FLUSH_SQL = `
INSERT INTO api_version_usage AS u (partition, version, requests, first_seen_at, last_seen_at)
SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::timestamptz[], $5::timestamptz[])
ON CONFLICT (partition, version) DO UPDATE SET
  requests = u.requests + excluded.requests,
  first_seen_at = least(u.first_seen_at, excluded.first_seen_at),
  last_seen_at = greatest(u.last_seen_at, excluded.last_seen_at)`;

export function createVersionUsage(options: VersionUsageOptions): VersionUsage {
  const { db, errors } = options;
  const clock = options.clock ?? systemClock;
  const flushIntervalMs = options.flushIntervalMs ?? 10_000;
  const maxEntries = options.maxEntries ?? 100_000;
  let entries = new Map<string, Entry>();
  let dropped = 0;
  let timer: NodeJS.Timeout | undefined;

  function add(into: Map<string, Entry>, entry: Entry): boolean {
    const key = `${entry.partition}\u0000${entry.version}`;
    const found = into.get(key);
    if (found) {
      found.requests += entry.requests;
      found.firstMs = Math.min(found.firstMs, entry.firstMs);
      found.lastMs = Math.max(found.lastMs, entry.lastMs);
      return true;
    }
    if (into.size >= maxEntries) return false;
    into.set(key, { ...entry });
    return true;
  }

  async function write(): Promise<boolean> {
    if (dropped > 0) {
      errors.report(
        COMPONENT,
        new Error(`dropped ${dropped} counts: more than ${maxEntries} entries waiting`),
      );
      dropped = 0;
    }
    if (entries.size === 0) return true;
    const batch = [...entries.values()];
    entries = new Map();
    try {
      await db.query(FLUSH_SQL, [
        batch.map((e) => e.partition),
        batch.map((e) => e.version),
        batch.map((e) => e.requests),
        batch.map((e) => new Date(e.firstMs).toISOString()),
        batch.map((e) => new Date(e.lastMs).toISOString()),
      ]);
      return true;
    } catch (error) {
      // keep them for the next flush, with what arrived meanwhile
      for (const entry of batch) if (!add(entries, entry)) dropped += entry.requests;
      errors.report(COMPONENT, error, { entries: batch.length });
      return false;
    }
  }

  // one flush at a time: a second one runs after the first, on what is in memory then
  const flushes = oneAtATime(write);
  const flush = (): Promise<boolean> => flushes.run();

  return {
    record(partition, version) {
      const nowMs = clock.now();
      if (!add(entries, { partition, version, requests: 1, firstMs: nowMs, lastMs: nowMs })) dropped++;
    },
    async start() {
      if (timer) return;
      if (!(await assertMigratedIfReachable(db, versioningMigrations, 'versioningMigrations')))
        errors.report(COMPONENT, new Error('the database did not answer the migration check at start'));
      timer = setInterval(() => {
        if (!flushes.busy()) void flush();
      }, flushIntervalMs);
      timer.unref();
    },
    async stop() {
      clearInterval(timer);
      timer = undefined;
      await flush();
    },
    flush,
  };
}

export interface VersionUsageRow {
  partition: string;
  version: string;
  requests: number;
  firstSeenAt: string;
  lastSeenAt: string;
  /** whether `versions` declares a deprecation of this version (false without `versions`) */
  deprecated: boolean;
}

export interface ReadVersionUsageOptions {
  /** the definition: tells which versions are deprecated (required with `deprecatedOnly`) */
  versions?: ApiVersions;
  /** only the rows of deprecated versions: who must still upgrade */
  deprecatedOnly?: boolean;
  partition?: string;
}

/** Usage per (partition, version), newest activity first. */
export async function readVersionUsage(
  db: Queryable,
  options: ReadVersionUsageOptions = {},
): Promise<VersionUsageRow[]> {
  const { versions } = options;
  if (options.deprecatedOnly && !versions) throw new Error('readVersionUsage: deprecatedOnly needs versions');
  const deprecated = versions ? versions.versions.filter((v) => versions.deprecationOf(v)) : [];
  const { rows } = await db.query<{
    partition: string;
    version: string;
    requests: string;
    first_seen_at: Date;
    last_seen_at: Date;
  }>(
    `SELECT partition, version, requests, first_seen_at, last_seen_at FROM api_version_usage
     WHERE ($1::text IS NULL OR partition = $1) AND (NOT $2 OR version = ANY($3::text[]))
     ORDER BY last_seen_at DESC, partition, version`,
    [options.partition ?? null, options.deprecatedOnly ?? false, deprecated],
  );
  return rows.map((r) => ({
    partition: r.partition,
    version: r.version,
    requests: Number(r.requests),
    firstSeenAt: r.first_seen_at.toISOString(),
    lastSeenAt: r.last_seen_at.toISOString(),
    deprecated: deprecated.includes(r.version),
  }));
}
