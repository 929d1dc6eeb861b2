/**
 * idempotency.cross-route — one key on two routes is two requests: the key
 * that created a resource, sent again with an action on it, runs the action.
 * idempotency.failure-replay — a failure is not stored as the key's answer:
 * a keyed request that got 409 (in flight), 429 or 5xx, retried with the same
 * key after its Retry-After, eventually succeeds. The checker cannot make a
 * foreign server fail, so this runs on the failures it observed (the storm's
 * in-flight conflicts, a rate limit, a 5xx); with none it is skipped, and
 * `--fault-proxy` causes them (faults.failure-not-replayed).
 */
import { randomUUID } from 'node:crypto';
import type { RequestSpec, Response } from '../client.ts';
import { type CheckContext, reporterFor } from '../context.ts';
import { meterFor } from '../effects.ts';
import { buildRequest, NotApplicable } from '../requests.ts';
import type { Operation } from '../spec.ts';

export interface FailureSeen {
  op: Operation;
  request: RequestSpec;
  answer: Response;
  success?: Response;
}

export async function checkCrossRoute(
  ctx: CheckContext,
  op: Operation,
  report: ReturnType<typeof reporterFor>,
  /** the Location of the operation's first answer (a 202's: its effect is what it started) */
  hint?: string,
): Promise<void> {
  const key = randomUUID();
  let request: RequestSpec;
  try {
    request = await buildRequest(ctx, op, { freshResource: true, createKey: key });
  } catch (error) {
    if (!(error instanceof NotApplicable)) throw error;
    report('cross-route', 'skipped', error.message);
    return;
  }
  const sameKey = { ...request, headers: { ...request.headers, 'idempotency-key': key } };
  const meter = await meterFor(ctx, op, sameKey, hint);
  const before = await meter?.take();
  const answer = await ctx.client.send(sameKey);
  ctx.seen.push({ operation: op.id, response: answer });
  const effects = meter ? meter.effects(before, await meter.take()) : undefined;
  const replayed = answer.headers['idempotent-replayed'] === 'true';
  const ok = answer.status < 300 && !replayed && effects !== 0;
  report(
    'cross-route',
    ok ? 'passed' : 'failed',
    ok
      ? `the key that created the resource, sent with ${op.id}, ran it (${answer.status}${effects === undefined ? '' : `, ${effects} effect(s)`})`
      : `the key that created the resource, sent with ${op.id}, answered ${answer.status}${replayed ? ' (a replay)' : ''}${effects === undefined ? '' : `, ${effects} effect(s)`}: keys must be scoped by route`,
    [answer.exchange],
  );
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function checkFailureReplay(
  ctx: CheckContext,
  failures: FailureSeen[],
  deadlineMs = 3000,
): Promise<void> {
  const byOp = new Map<string, FailureSeen>();
  for (const f of failures) if (!byOp.has(f.op.id)) byOp.set(f.op.id, f);
  if (byOp.size === 0) {
    ctx.report({
      id: 'idempotency.failure-replay',
      group: 'idempotency',
      operation: '*',
      status: 'skipped',
      detail:
        'no keyed request failed (409 in flight, 429, 5xx) during the run; --fault-proxy causes such failures',
    });
    return;
  }
  for (const { op, request, answer, success } of byOp.values()) {
    const report = reporterFor(ctx, 'idempotency', op.id);
    let retry: Response = answer;
    const started = Date.now();
    for (let attempt = 0; attempt < 20 && Date.now() - started < deadlineMs; attempt++) {
      const wait = Math.min(1000, Number(retry.headers['retry-after'] ?? 0) * 1000 || 100);
      await sleep(wait);
      retry = await ctx.client.send(request);
      if (retry.status < 300) break;
    }
    const ok = retry.status < 300 && (!success || retry.body === success.body);
    report(
      'failure-replay',
      ok ? 'passed' : 'failed',
      ok
        ? `after ${answer.status}, a retry with the same key got the request's answer (${retry.status})`
        : `after ${answer.status}, retries with the same key still answer ${retry.status}${retry.body === answer.body ? ' with the same body: the failure was stored and is replayed' : ''}`,
      [answer.exchange, retry.exchange],
    );
  }
}
