/** What the idempotency engine is given and gives: its options, a handler's result, its public interface. */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Counter } from 'prom-client';
import type { FaultPoints } from '../faults/index.ts';
import type { BackgroundErrors } from '../observability/index.ts';
import type { Pool, PoolClient } from '../postgres/index.ts';
import type { ProblemRegistry } from '../problems/index.ts';
import type { KeyScope } from './store.ts';

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
  insertOnce(
    request: FastifyRequest,
    reply: FastifyReply,
    spec: {
      result: HandlerResult;
      effect: { name: string; text: string; values: unknown[] };
      /** runs once when the effect was written by this request (not on replays) */
      onExecuted?: () => void;
    },
  ): Promise<FastifyReply>;
  /**
   * When preparing the effect failed (e.g. a dependency is down), a retry of a
   * request that already completed must still get its stored answer: replay it
   * if there is one (422 if the key was used for another request), else undefined.
   */
  replayIfCompleted(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined>;
}
