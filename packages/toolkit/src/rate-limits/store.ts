/**
 * What a shared store (`createPostgresRateLimitStore`) and the limiter tell
 * each other. The limiter admits locally; every sync interval the store
 * publishes the limiter's cells and hands back what the other instances
 * claimed, plus a fresh share of the remainder for each cell.
 */
import type { RateLimitPolicies } from './policies.ts';

/** One (partition, class) cell as published by a sync. */
export interface CellSnapshot {
  partition: string;
  className: string;
  limit: number;
  windowMs: number;
  windowStartMs: number;
  /** this instance's admitted units in the current window */
  count: number;
  /** this instance's admitted units in the previous window */
  prevCount: number;
  /** weight of the previous window in the sliding estimate (1 − elapsed fraction) */
  prevWeight: number;
}

export interface CellSyncResult {
  /** units this instance may admit until its next sync (already published as its claim) */
  grant: number;
  /** what the other instances admitted or claimed in the current window */
  othersCount: number;
  /** … and in the previous window */
  othersPrevCount: number;
}

export interface SyncResult {
  /** instances that synced in the last few seconds, this one included */
  activeInstances: number;
  /** one per snapshot cell, same order */
  cells: CellSyncResult[];
}

/** The limiter's side, given to the store when the limiter is created. */
export interface RateLimitStoreClient {
  /** the cells to publish now (windows rolled to `clock.now()`) */
  snapshot(): CellSnapshot[];
  /** a sync answered: adopt the others' counts and the new shares */
  apply(snapshot: CellSnapshot[], result: SyncResult): void;
  /** a sync failed: grant new shares from the last known remote counts (fail open) */
  applyLocally(snapshot: CellSnapshot[]): void;
  /** partition → class → policy, replacing the previous set */
  setOverrides(overrides: Map<string, RateLimitPolicies>): void;
}

export interface RateLimitStore {
  attach(client: RateLimitStoreClient, knownClasses: string[]): void;
  /** checks the migrations, loads overrides, syncs once, then every interval */
  start(): Promise<void>;
  close(): Promise<void>;
}
