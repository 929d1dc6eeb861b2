/**
 * The rate limiter: a sliding-window counter per (partition, class), admitted
 * in memory — never a database round trip per request. The estimate is the
 * previous window's count × (1 − elapsed fraction of the current window) +
 * the current window's count. Without a store it is exact for one process;
 * with one (`createPostgresRateLimitStore`) the counts of other instances
 * arrive every sync interval and this instance admits at most its granted
 * share of the remainder between syncs.
 */
import type { Clock } from '../ids/index.ts';
import { type Cell, createCellTable, estimate, waitMs } from './cells.ts';
import { type RateLimitPolicies, type RateLimitPolicy, validatePolicies } from './policies.ts';
import type { CellSnapshot, RateLimitStore, RateLimitStoreClient, SyncResult } from './store.ts';

export interface RateLimitDecision {
  allowed: boolean;
  className: string;
  limit: number;
  windowS: number;
  /** units left in the window after this request (estimate across instances) */
  remaining: number;
  /** seconds until the current window ends (when refused: until a retry can succeed) */
  resetS: number;
  /** whole seconds ≥ 1 to wait when refused; 0 when allowed */
  retryAfterS: number;
}

export interface RateLimiterOptions {
  /** route class → quota; validated here (a bad one throws naming its class) */
  policies: RateLimitPolicies;
  clock: Clock;
  /** share the limit with other instances; without one the limiter is exact for this process */
  store?: RateLimitStore;
  /** per-partition overrides when there is no store (called on every `take`: keep it cheap) */
  overridesOf?: (partition: string) => Partial<RateLimitPolicies> | undefined;
  /** tracked (partition, class) cells; idle ones are evicted first (default 100 000) */
  maxCells?: number;
}

export interface RateLimiter {
  take(partition: string, className: string, cost?: number): RateLimitDecision;
  /** give units back (e.g. a replayed answer that did no new work) */
  refund(partition: string, className: string, cost?: number): void;
  /** true when a `take` of one unit would be refused by the quota right now (nothing is spent) */
  exhausted(partition: string, className: string): boolean;
  /** the route classes and their default policies */
  readonly policies: RateLimitPolicies;
  /** starts the store (migration check, first sync); a no-op without one */
  start(): Promise<void>;
  close(): Promise<void>;
}

/** Before a cell's first sync in a window an instance among others takes a tenth of its share. */
const PRESYNC_DIVISOR = 10;

export function createRateLimiter(options: RateLimiterOptions): RateLimiter {
  const policies = validatePolicies(options.policies);
  const { clock, store } = options;
  const maxCells = options.maxCells ?? 100_000;
  const table = createCellTable();
  const { get: getCell, set: setCell, delete: deleteCell, all: allCells } = table;
  let storeOverrides = new Map<string, RateLimitPolicies>();
  let activeInstances = 1;
  /** when a sync last succeeded: a store that has not answered for a window is treated as gone */
  let lastSyncMs = clock.now();

  function policyFor(partition: string, className: string): RateLimitPolicy {
    const base = policies[className];
    if (!base) throw new Error(`rate limits: unknown class ${JSON.stringify(className)}`);
    return (
      storeOverrides.get(partition)?.[className] ?? options.overridesOf?.(partition)?.[className] ?? base
    );
  }

  /**
   * Before a cell's first sync in a window: alone, all that is left (a new
   * instance is known at its first sync, one interval later); with others, a
   * tenth of an even share, since they cannot see this spending yet.
   */
  const presyncDivisor = () => (activeInstances === 1 ? 1 : activeInstances * PRESYNC_DIVISOR);

  /** a share of what is left, from this instance's view of the counts */
  function localShare(cell: Cell, nowMs: number, divisor: number): number {
    if (!store) return Number.POSITIVE_INFINITY;
    const left = cell.limit - estimate(cell, nowMs);
    return left < 1 ? 0 : Math.max(1, Math.floor(left / divisor));
  }

  function roll(cell: Cell, nowMs: number): void {
    const start = Math.floor(nowMs / cell.windowMs) * cell.windowMs;
    if (start === cell.windowStartMs) return;
    const next = start === cell.windowStartMs + cell.windowMs;
    cell.prevCount = next ? cell.count : 0;
    cell.remotePrev = next ? cell.remoteCount : 0;
    cell.count = 0;
    cell.remoteCount = 0;
    cell.windowStartMs = start;
    cell.allowance = localShare(cell, nowMs, presyncDivisor());
  }

  function evictFor(nowMs: number): void {
    if (table.size() < maxCells) return;
    for (const cell of [...allCells()]) {
      if (nowMs >= cell.windowStartMs + 2 * cell.windowMs) deleteCell(cell); // both windows over: no information left
    }
    // still full of active cells: forget the oldest tenth (their partitions start afresh)
    let excess = table.size() - Math.floor(maxCells * 0.9);
    for (const cell of [...allCells()]) {
      if (excess-- <= 0) break;
      deleteCell(cell);
    }
  }

  function cellFor(partition: string, className: string, policy: RateLimitPolicy, nowMs: number): Cell {
    const windowMs = policy.windowS * 1000;
    let cell = getCell(partition, className);
    if (cell && cell.windowMs !== windowMs) {
      deleteCell(cell); // the window changed (an override): start a fresh grid
      cell = undefined;
    }
    if (!cell) {
      evictFor(nowMs);
      cell = {
        partition,
        className,
        limit: policy.limit,
        windowMs,
        windowStartMs: Math.floor(nowMs / windowMs) * windowMs,
        count: 0,
        prevCount: 0,
        remoteCount: 0,
        remotePrev: 0,
        allowance: 0,
      };
      cell.allowance = localShare(cell, nowMs, presyncDivisor());
      setCell(cell);
      return cell;
    }
    cell.limit = policy.limit;
    roll(cell, nowMs);
    return cell;
  }

  const client: RateLimitStoreClient = {
    snapshot() {
      const nowMs = clock.now();
      const out: CellSnapshot[] = [];
      for (const cell of [...allCells()]) {
        roll(cell, nowMs);
        if (cell.count === 0 && cell.prevCount === 0) {
          deleteCell(cell); // nothing of ours in either window: nothing to publish or protect
          continue;
        }
        out.push({
          partition: cell.partition,
          className: cell.className,
          limit: cell.limit,
          windowMs: cell.windowMs,
          windowStartMs: cell.windowStartMs,
          count: cell.count,
          prevCount: cell.prevCount,
          prevWeight: 1 - (nowMs - cell.windowStartMs) / cell.windowMs,
        });
      }
      return out;
    },
    apply(snapshot, result: SyncResult) {
      activeInstances = Math.max(1, result.activeInstances);
      lastSyncMs = clock.now();
      snapshot.forEach((snap, i) => {
        const cell = getCell(snap.partition, snap.className);
        const got = result.cells[i];
        if (!cell || !got || cell.windowMs !== snap.windowMs) return;
        if (cell.windowStartMs === snap.windowStartMs) {
          cell.remoteCount = got.othersCount;
          cell.remotePrev = got.othersPrevCount;
          // what was admitted while the sync ran came out of the old share
          cell.allowance = Math.max(0, got.grant - (cell.count - snap.count));
        } else if (cell.windowStartMs === snap.windowStartMs + snap.windowMs) {
          cell.remotePrev = got.othersCount;
        }
      });
    },
    applyLocally(snapshot) {
      const nowMs = clock.now();
      for (const snap of snapshot) {
        const cell = getCell(snap.partition, snap.className);
        if (cell && cell.windowStartMs === snap.windowStartMs)
          cell.allowance = localShare(cell, nowMs, activeInstances);
      }
    },
    setOverrides(overrides) {
      storeOverrides = overrides;
    },
  };
  store?.attach(client, Object.keys(policies));

  return {
    policies,
    take(partition, className, cost = 1) {
      const policy = policyFor(partition, className);
      const nowMs = clock.now();
      const cell = cellFor(partition, className, policy, nowMs);
      const used = estimate(cell, nowMs);
      // no sync has succeeded for a whole window (a frozen or unreachable database): fail open
      // with an even share of what this instance knows is left, as after a failed sync — never
      // shrink to the pre-sync tenth while no grant can come (the bound becomes N × R)
      if (
        cost > cell.allowance &&
        store &&
        nowMs - lastSyncMs > cell.windowMs &&
        cell.failOpenWindowMs !== cell.windowStartMs
      ) {
        cell.failOpenWindowMs = cell.windowStartMs; // once per window, or it would hand out everything
        cell.allowance = localShare(cell, nowMs, activeInstances);
      }
      const allowed = used + cost <= cell.limit && cost <= cell.allowance;
      if (allowed) {
        cell.count += cost;
        cell.allowance -= cost;
      }
      const toEndS = Math.ceil((cell.windowStartMs + cell.windowMs - nowMs) / 1000);
      const retryAfterS = allowed ? 0 : Math.max(1, Math.ceil(waitMs(cell, nowMs, cost) / 1000));
      return {
        allowed,
        className,
        limit: cell.limit,
        windowS: policy.windowS,
        remaining: allowed ? Math.max(0, Math.floor(cell.limit - used - cost)) : 0,
        resetS: allowed ? Math.max(1, toEndS) : retryAfterS,
        retryAfterS,
      };
    },
    exhausted(partition, className) {
      const cell = getCell(partition, className);
      if (!cell) return false;
      const nowMs = clock.now();
      roll(cell, nowMs);
      return estimate(cell, nowMs) + 1 > cell.limit;
    },
    refund(partition, className, cost = 1) {
      const cell = getCell(partition, className);
      if (!cell) return;
      roll(cell, clock.now());
      const back = Math.min(cost, cell.count);
      cell.count -= back;
      cell.allowance += back;
    },
    start: async () => store?.start(),
    close: async () => {
      await store?.close();
      table.clear();
    },
  };
}
