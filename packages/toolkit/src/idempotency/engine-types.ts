/** What the idempotency engine is given and gives: its options, a handler's result, its public interface. */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Counter } from 'prom-client';
import type { FaultPoints } from '../faults/index.ts';
import type { BackgroundErrors } from '../observability/index.ts';
import type { BatchingOptions, Pool, PoolClient } from '../postgres/index.ts';
import type { ProblemRegistry } from '../problems/index.ts';
import type { KeyScope } from './store.ts';
import type { RowEffect } from './store-batch.ts';

export interface IdempotencyContext {
  scope: KeyScope;
  fingerprint: Buffer;
}

declare module 'fastify' {
  interface FastifyRequest {
    idempotency: IdempotencyContext | undefined;
  }
}

export interface HandlerResult {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
  contentType?: string;
}

/** The engine's fault point: the key's answer is written, its transaction not yet committed. */
export const IDEMPOTENCY_FAULT_POINTS = ['after-claim-before-commit'] as const;

export interface EngineOptions {
  db: Pool;
  registry: ProblemRegistry;
  counter: Counter<'outcome'>;
  retentionS: number;
  leaseS: number;
  /** how long a duplicate waits for an in-flight first request before answering 409 */
  waitMs?: number;
  maxStoredBytes?: number;
  faults?: FaultPoints;
  instanceId?: string;
  /** lease renewals and key releases happen off the request path: their failures go here */
  errors: BackgroundErrors;
  /**
   * the body stored for replays (and sent the first time), from the handler's result — default its
   * body. E.g. the body rendered in the API version the client spoke, so a release that replays
   * stored bytes as they are (an older one) answers in the client's shape too. Every answer the
   * engine sends (an `afterCommit` one too, and without a key) goes through it; replays send the
   * stored bytes.
   */
  storedBody?: (request: FastifyRequest, result: HandlerResult) => unknown;
  /**
   * Group commit of `insertOnce` rows and of key lookups: concurrent requests share one statement
   * (default on; `false`: one statement per request). See `createCoalescer` in /postgres.
   */
  coalesce?: CoalesceOptions | false;
  /** coalesced statements and the rows they carried (`createIdempotencyMetrics().batches`) */
  batches?: BatchCounters;
}

export interface BatchCounters {
  statements: Counter<'statement'>;
  rows: Counter<'statement'>;
}

/** how concurrent requests' statements are gathered (`BatchingOptions` of /postgres) */
export type CoalesceOptions = BatchingOptions;

/** What `insertOnce` writes: the answer, and the effect as a statement (`effect`) or as a row (`row`, coalesced). */
export interface InsertOnceSpec {
  result: HandlerResult;
  /** one INSERT written `… FROM claimed`, so it runs only when the key was new */
  effect?: { name: string; text: string; values: unknown[] };
  /** the effect as one row of one table: concurrent requests' rows share one multi-row statement */
  row?: RowEffect;
  /** runs once when the effect was written by this request (not on replays) */
  onExecuted?: () => void;
}

export interface RunOptions {
  /**
   * After the commit, the answer to show this time (e.g. after `Prefer: wait`);
   * the stored answer — what replays get — stays the handler's result.
   */
  afterCommit?: (result: HandlerResult) => Promise<HandlerResult | undefined>;
}

export interface IdempotencyEngine {
  run(
    request: FastifyRequest,
    reply: FastifyReply,
    handler: (tx: PoolClient) => Promise<HandlerResult>,
    options?: RunOptions,
  ): Promise<FastifyReply>;
  /**
   * Given a function, a stored answer of the key is replayed first (one lookup) and the function —
   * which may call partners, e.g. for prices — runs only when there is none.
   */
  insertOnce(
    request: FastifyRequest,
    reply: FastifyReply,
    spec: InsertOnceSpec | (() => Promise<InsertOnceSpec>),
  ): Promise<FastifyReply>;
  /**
   * When preparing the effect failed (e.g. a dependency is down), a retry of a
   * request that already completed must still get its stored answer: replay it
   * if there is one (422 if the key was used for another request). True when the
   * stored answer was sent (the handler then returns `reply`), else false. (Not the
   * reply itself: a FastifyReply is thenable, so awaiting one waits for its send.)
   */
  replayIfCompleted(request: FastifyRequest, reply: FastifyReply): Promise<boolean>;
}
