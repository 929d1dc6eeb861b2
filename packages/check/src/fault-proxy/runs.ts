/**
 * One run of a route under a fault: prepare while healthy, fire the final
 * request with the fault set, follow its operation and wait for the proxy to
 * go quiet, heal, let a retry with the same key recover, and keep the proxy
 * calls of that time window. The window is the attribution: the checker
 * fires one request at a time, so what the dependency receives inside it is
 * that request's doing (minus background traffic — see docs/checker/fault-proxy.md).
 */
import type { Exchange, Response } from '../client.ts';
import type { CheckContext } from '../context.ts';
import { type Fired, finalRequest, followOperation, prepare, type Route, sendWithin } from './drive.ts';
import type { FaultProxy, ProxiedCall } from './proxy.ts';
import type { FaultMode } from './schedule.ts';

export interface RunTiming {
  /** how long the checker waits for an answer before calling it a hang */
  waitMs: number;
  /** the dependency is "quiet" after this long without a call */
  quietMs: number;
  /** longest wait for quiet, or for an operation, while the fault is on */
  settleMs: number;
  /** longest wait for a retry with the same key to succeed, and for an operation to finish, after healing */
  recoverMs: number;
}

export interface Run {
  route: Route;
  mode: FaultMode;
  fired: Fired;
  /** retries with the same key after healing (only when the first answer was a failure) */
  retries: Response[];
  calls: ProxiedCall[];
  /** fired during the sustained outage (never retried there) */
  outage?: boolean;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function settle(proxies: FaultProxy[], quietMs: number, maxMs: number): Promise<void> {
  const until = Date.now() + maxMs;
  while (Date.now() < until) {
    const last = Math.max(0, ...proxies.map((p) => p.lastActivity()));
    if (Date.now() - last >= quietMs) return;
    await sleep(Math.min(quietMs, 100));
  }
}

export const failed = (fired: Fired) => fired.error !== undefined || (fired.response?.status ?? 0) >= 400;

function retryAfterMs(response: Response | undefined): number {
  const seconds = Number(response?.headers['retry-after']);
  return Number.isFinite(seconds) ? Math.min(Math.max(seconds * 1000, 100), 1000) : 200;
}

/** Resend the same request (same key) until it succeeds or `withinMs` passes. */
export async function retrySameKey(
  ctx: CheckContext,
  fired: Fired,
  withinMs: number,
  waitMs: number,
): Promise<Response[]> {
  const until = Date.now() + withinMs;
  const answers: Response[] = [];
  let last = fired.response;
  while (Date.now() < until) {
    await sleep(retryAfterMs(last));
    const again = await sendWithin(ctx, fired.request, waitMs);
    if (!again.response) continue;
    answers.push(again.response);
    last = again.response;
    if (again.response.status < 300) break;
    // three stored failures in a row, marked as replays: the verdict is in
    if (answers.slice(-3).filter((a) => a.headers['idempotent-replayed'] === 'true').length === 3) break;
  }
  return answers;
}

export async function runUnderFault(
  ctx: CheckContext,
  route: Route,
  proxy: FaultProxy,
  all: FaultProxy[],
  mode: FaultMode,
  timing: RunTiming,
  refusals: Response[] = [],
): Promise<Run | undefined> {
  const id = await prepare(ctx, route, refusals);
  if (id === undefined) return undefined;
  await settle(all, timing.quietMs, timing.settleMs);
  const from = Date.now();
  proxy.setMode(mode);
  let fired: Fired;
  let retries: Response[] = [];
  try {
    fired = await sendWithin(ctx, finalRequest(ctx, route, id), timing.waitMs);
    await followOperation(ctx, fired, timing.settleMs);
    await settle(all, timing.quietMs, timing.settleMs);
  } finally {
    proxy.setMode({ kind: 'healthy' });
  }
  if (failed(fired)) retries = await retrySameKey(ctx, fired, timing.recoverMs, timing.waitMs);
  const recovered = retries.at(-1) ?? fired.response;
  if (recovered) await followOperation(ctx, { ...fired, response: recovered }, timing.recoverMs);
  await settle(all, timing.quietMs, timing.settleMs);
  return { route, mode, fired, retries, calls: proxy.callsBetween(from, Date.now()) };
}

/** A proxy call as evidence: the outbound request, as it would be sent to the upstream. */
export function callEvidence(proxy: { name: string; upstream: string }, call: ProxiedCall): Exchange {
  return {
    request: {
      method: call.method,
      url: `${proxy.upstream.replace(/\/$/, '')}${call.path}`,
      headers: call.idempotencyKey ? { 'idempotency-key': call.idempotencyKey } : {},
    },
    response: call.upstreamStatus
      ? {
          status: call.upstreamStatus,
          headers: {},
          body: `seen by the ${proxy.name} fault proxy during "${call.fault}"${call.delivered ? '' : ' (answer not delivered)'}`,
        }
      : { error: `seen by the ${proxy.name} fault proxy during "${call.fault}", not forwarded` },
  };
}

export function firedEvidence(fired: Fired): Exchange {
  return (
    fired.response?.exchange ?? {
      request: {
        method: fired.request.method,
        url: fired.request.path,
        headers: fired.request.headers ?? {},
        body: fired.request.body,
      },
      response: { error: fired.error ?? 'no answer' },
    }
  );
}
