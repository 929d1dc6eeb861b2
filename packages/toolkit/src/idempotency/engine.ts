/**
 * The idempotency engine. Two ways to run a protected route:
 *
 * - `insertOnce`: the effect is one INSERT. The key record (with the response)
 *   and the effect are written by one statement — one round trip, one commit; a
 *   conflicting key means "duplicate" and nothing is written.
 * - `run`: the handler needs a transaction of its own. The key is claimed
 *   (committed, with a lease), the handler runs in a transaction, and the
 *   response is stored in that same transaction. A crash before commit leaves
 *   only the claim, which the next request takes over once the lease expires.
 */
import { randomBytes } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { noFaults } from '../faults/index.ts';
import { createCoalescer, type PoolClient, withTransaction } from '../postgres/index.ts';
import { buildProblem, isProblemError, PROBLEM_CONTENT_TYPE, ProblemError } from '../problems/index.ts';
import {
  type EngineOptions,
  type HandlerResult,
  IDEMPOTENCY_FAULT_POINTS,
  type IdempotencyContext,
  type IdempotencyEngine,
  type RunOptions,
} from './engine-types.ts';
import { createInsertOnce } from './insert-once.ts';
import { NEVER_STORED_CATEGORIES, replay, send, toStored } from './responses.ts';
import {
  claimKey,
  completeKey,
  deleteExpiredKey,
  findKey,
  type KeyRecord,
  type KeyScope,
  releaseKey,
  renewLease,
  type StoredResponse,
  takeOverKey,
} from './store.ts';
import { findKeys } from './store-batch.ts';

/** A handler's business problem (404/409/422): rolled back, then stored as the key's answer. */
class BusinessOutcome extends Error {
  readonly result: HandlerResult;
  constructor(result: HandlerResult) {
    super('business outcome');
    this.result = result;
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function createIdempotencyEngine(options: EngineOptions): IdempotencyEngine {
  const { db, counter, errors } = options;
  const waitMs = options.waitMs ?? 1000;
  const maxStoredBytes = options.maxStoredBytes ?? 1024 * 1024;
  const storedView = (request: FastifyRequest, result: HandlerResult): HandlerResult =>
    options.storedBody ? { ...result, body: options.storedBody(request, result) } : result;
  const faults = options.faults ?? noFaults;
  const instanceId = options.instanceId ?? randomBytes(6).toString('hex');
  // concurrent lookups of keys share one SELECT (a replay is one round trip either way)
  const lookups =
    options.coalesce === false
      ? { add: (scope: KeyScope) => findKey(db, scope) }
      : createCoalescer({
          ...options.coalesce,
          run: (scopes: KeyScope[]) => findKeys(db, scopes),
          runOne: (scope: KeyScope) => findKey(db, scope),
          onBatchFailure: (error, size) => errors.report('idempotency-lookup-batch', error, { size }),
        });

  function problemResult(request: FastifyRequest, error: ProblemError): HandlerResult {
    const body = buildProblem(options.registry, {
      slug: error.slug,
      detail: error.detail,
      instance: request.url.split('?')[0],
      requestId: String(request.id),
      errors: error.errors,
      extensions: error.extensions,
    });
    return {
      status: body.status,
      body,
      headers: error.headers,
      contentType: `${PROBLEM_CONTENT_TYPE}; charset=utf-8`,
    };
  }

  function storable(error: unknown): error is ProblemError {
    if (!isProblemError(error)) return false;
    const type = options.registry.get(error.slug);
    return !!type && type.status < 500 && !NEVER_STORED_CATEGORIES.has(type.category);
  }

  /** the key was used with another payload: 422, whatever the state of its first request */
  function assertSameRequest(ctx: IdempotencyContext, record: KeyRecord): void {
    if (record.fingerprint.equals(ctx.fingerprint)) return;
    counter.inc({ outcome: 'fingerprint_mismatch' });
    throw new ProblemError('idempotency-key-reused', {
      detail: 'This Idempotency-Key was used with a different request; use a new key for a new request.',
    });
  }

  function replayStored(reply: FastifyReply, response: StoredResponse): FastifyReply {
    counter.inc({ outcome: 'replayed' });
    return replay(reply, response);
  }

  /**
   * A key that exists: replay, 422 on another payload, wait for an in-flight
   * first request (then 409), or — when it expired or its owner died — give
   * the caller another go: 'retry' to claim again, 'take-over' to run now.
   */
  async function answerExisting(
    ctx: IdempotencyContext,
    reply: FastifyReply,
    deadline: number,
    owner: string | undefined,
  ): Promise<FastifyReply | 'retry' | 'wait' | 'take-over'> {
    const record = await lookups.add(ctx.scope);
    if (!record) return 'retry'; // released meanwhile
    if (record.expired) {
      await deleteExpiredKey(db, ctx.scope);
      return 'retry';
    }
    assertSameRequest(ctx, record);
    if (record.state === 'completed' && record.response) return replayStored(reply, record.response);
    if (record.state === 'in_flight' && record.leaseExpired && owner) {
      // the owner died (or stalled past its lease): run it ourselves
      if (await takeOverKey(db, ctx.scope, ctx.fingerprint, owner, options.leaseS)) return 'take-over';
      return 'retry';
    }
    if (Date.now() >= deadline) {
      counter.inc({ outcome: 'in_flight_conflict' });
      throw new ProblemError('idempotency-request-in-flight', {
        detail: 'A request with this Idempotency-Key is still being processed; retry shortly.',
        headers: { 'Retry-After': '1' },
      });
    }
    return 'wait';
  }

  /** Give the key up after a failure that did nothing; the lease expires anyway if even this fails. */
  async function release(ctx: IdempotencyContext, owner: string): Promise<void> {
    await releaseKey(db, ctx.scope, owner).catch((e) =>
      errors.report('idempotency-key-release', e, { route: ctx.scope.route }),
    );
  }

  async function execute(
    request: FastifyRequest,
    reply: FastifyReply,
    ctx: IdempotencyContext,
    owner: string,
    handler: (tx: PoolClient) => Promise<HandlerResult>,
    afterCommit: RunOptions['afterCommit'],
  ): Promise<FastifyReply> {
    const renew = setInterval(
      () => {
        renewLease(db, ctx.scope, owner, options.leaseS).catch((error) =>
          errors.report('idempotency-lease-renewal', error, { route: ctx.scope.route }),
        );
      },
      (options.leaseS * 1000) / 3,
    );
    renew.unref();
    try {
      const done = await withTransaction(db, async (client) => {
        let result: HandlerResult;
        try {
          result = await handler(client);
        } catch (error) {
          if (!storable(error)) throw error;
          throw new BusinessOutcome(problemResult(request, error));
        }
        const { stored, bytes } = toStored(storedView(request, result), maxStoredBytes);
        faults.hit(IDEMPOTENCY_FAULT_POINTS[0]);
        if (!(await completeKey(client, ctx.scope, owner, stored))) {
          counter.inc({ outcome: 'in_flight_conflict' });
          throw new ProblemError('idempotency-request-in-flight', {
            detail:
              'This request took longer than its lease and another request took it over; retry shortly.',
            headers: { 'Retry-After': '1' },
          });
        }
        return { result, bytes };
      });
      const shown = await afterCommit?.(done.result);
      // what is shown this time goes through storedBody too: every answer the engine sends is rendered alike
      return shown
        ? send(reply, shown, Buffer.from(JSON.stringify(storedView(request, shown).body)))
        : send(reply, done.result, done.bytes);
    } catch (error) {
      if (error instanceof BusinessOutcome) {
        // the handler's work is rolled back; its answer (a 404/409/422) is remembered
        const { stored, bytes } = toStored(storedView(request, error.result), maxStoredBytes);
        try {
          await completeKey(db, ctx.scope, owner, stored);
        } catch (storeError) {
          await release(ctx, owner); // nothing was done: a retry may run again at once
          throw storeError;
        }
        return send(reply, error.result, bytes);
      }
      if (!isProblemError(error) || !storable(error)) await release(ctx, owner);
      throw error;
    } finally {
      clearInterval(renew);
    }
  }

  const engine: Pick<IdempotencyEngine, 'replayIfCompleted'> = {
    async replayIfCompleted(request, reply) {
      const ctx = request.idempotency;
      if (!ctx) return false;
      const record = await lookups.add(ctx.scope);
      if (!record || record.expired || record.state !== 'completed' || !record.response) return false;
      assertSameRequest(ctx, record);
      replayStored(reply, record.response);
      return true;
    },
  };
  const insertOnce = createInsertOnce({
    db,
    retentionS: options.retentionS,
    maxStoredBytes,
    coalesce: options.coalesce ?? {},
    errors,
    batches: options.batches,
    storedView,
    answerExisting: (ctx, reply, deadline) => answerExisting(ctx, reply, deadline, undefined),
    replayIfCompleted: engine.replayIfCompleted,
    counted: (outcome) => counter.inc({ outcome }),
    waitMs,
  });

  return {
    ...engine,
    async run(request, reply, handler, runOptions = {}) {
      const ctx = request.idempotency;
      if (!ctx) {
        const result = await withTransaction(db, handler);
        const shown = (await runOptions.afterCommit?.(result)) ?? result;
        return send(reply, shown, Buffer.from(JSON.stringify(storedView(request, shown).body)));
      }
      const deadline = Date.now() + waitMs;
      const owner = `${instanceId}:${request.id}`;
      for (let pause = 10; ; pause = Math.min(pause * 2, 100)) {
        if (await claimKey(db, ctx.scope, ctx.fingerprint, owner, options.leaseS, options.retentionS)) {
          counter.inc({ outcome: 'executed' });
          return execute(request, reply, ctx, owner, handler, runOptions.afterCommit);
        }
        const answer = await answerExisting(ctx, reply, deadline, owner);
        if (answer === 'take-over') {
          counter.inc({ outcome: 'taken_over' });
          return execute(request, reply, ctx, owner, handler, runOptions.afterCommit);
        }
        if (answer === 'wait') await sleep(pause);
        else if (answer !== 'retry') return answer;
      }
    },

    insertOnce: (request, reply, spec) => insertOnce(request, reply, spec),
  };
}
