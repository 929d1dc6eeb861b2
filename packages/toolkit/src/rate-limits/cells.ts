/**
 * The rate limiter's cells: one per (partition, class) — its counts in the
 * current and previous window, the other instances' claims, and what this
 * instance may still admit — kept class → partition (no key string built per
 * request), and the two sums over a cell: the sliding estimate and the wait.
 */

export interface Cell {
  partition: string;
  className: string;
  limit: number;
  windowMs: number;
  windowStartMs: number;
  count: number;
  prevCount: number;
  /** other instances' claims in the current / previous window, as of the last sync */
  remoteCount: number;
  remotePrev: number;
  /** units this instance may admit before its next sync (Infinity without a store) */
  allowance: number;
  /** the window in which a share was handed out without a sync (the store did not answer) */
  failOpenWindowMs?: number;
}

export interface CellTable {
  get(partition: string, className: string): Cell | undefined;
  set(cell: Cell): void;
  delete(cell: Cell): void;
  all(): Generator<Cell>;
  size(): number;
  clear(): void;
}

export function createCellTable(): CellTable {
  const cells = new Map<string, Map<string, Cell>>();
  let count = 0;
  return {
    get: (partition, className) => cells.get(className)?.get(partition),
    set(cell) {
      let byPartition = cells.get(cell.className);
      if (!byPartition) {
        byPartition = new Map();
        cells.set(cell.className, byPartition);
      }
      if (!byPartition.has(cell.partition)) count++;
      byPartition.set(cell.partition, cell);
    },
    delete(cell) {
      if (cells.get(cell.className)?.delete(cell.partition)) count--;
    },
    *all() {
      for (const byPartition of cells.values()) yield* byPartition.values();
    },
    size: () => count,
    clear() {
      cells.clear();
      count = 0;
    },
  };
}

/** previous window × (1 − elapsed fraction) + current window, this instance's and the others' */
export function estimate(cell: Cell, nowMs: number): number {
  const weight = 1 - (nowMs - cell.windowStartMs) / cell.windowMs;
  return (cell.prevCount + cell.remotePrev) * weight + cell.count + cell.remoteCount;
}

/** how long until `cost` more units fit (ms) */
export function waitMs(cell: Cell, nowMs: number, cost: number): number {
  const end = cell.windowStartMs + cell.windowMs;
  const prev = cell.prevCount + cell.remotePrev;
  const cur = cell.count + cell.remoteCount;
  if (cost > cell.limit) return cell.windowMs;
  if (cur + cost <= cell.limit) {
    if (prev <= 0) return 1000; // only the share between syncs refused it: the next sync grants more
    const fraction = 1 - (cell.limit - cur - cost) / prev;
    return Math.max(1, cell.windowStartMs + fraction * cell.windowMs - nowMs);
  }
  // the current window alone is over: wait until enough of it slides out
  return end - nowMs + (1 - (cell.limit - cost) / cur) * cell.windowMs;
}
