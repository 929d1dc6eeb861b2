/**
 * Driving the target so that it calls its dependencies: routes through the
 * document's writes — a creator (POST on a collection) and, for an action
 * (POST {collection}/{id}/{name}), the shortest chain of actions that makes it
 * succeed on a fresh resource, found by a breadth-first walk over the
 * resource's `status`. A route is prepared (resource created, prefix applied)
 * while every proxy is healthy, then its last request is fired alone, so
 * the proxy traffic in its window belongs to it.
 */
import { randomUUID } from 'node:crypto';
import type { RequestSpec, Response } from '../client.ts';
import type { CheckContext } from '../context.ts';
import type { Operation } from '../spec.ts';

export interface Route {
  /** the operation whose request is fired under fault */
  final: Operation;
  creator: Operation;
  /** actions applied after creating, before the final one */
  prefix: Operation[];
}

export const routeName = (route: Route) =>
  [route.creator, ...route.prefix, ...(route.final === route.creator ? [] : [route.final])]
    .map((o) => o.id)
    .join(' → ');

const TERMINAL = new Set(['succeeded', 'failed', 'canceled', 'cancelled', 'completed', 'done', 'error']);

export interface Fired {
  request: RequestSpec;
  response?: Response;
  /** the target did not answer within the bound (or the connection failed) */
  error?: string;
  latencyMs: number;
  sentAt: number;
  /** the operation's final status when the answer was a 202 with a Location */
  operationStatus?: string;
}

function itemPath(op: Operation, id: string): string {
  return op.path.replace(`{${op.pathParams[0]}}`, encodeURIComponent(id));
}

function requestFor(ctx: CheckContext, op: Operation, id?: string): RequestSpec {
  const headers: Record<string, string> = { 'idempotency-key': randomUUID() };
  if (op.body) headers['content-type'] = op.body.contentType;
  return {
    method: op.method,
    path: id === undefined ? op.path : itemPath(op, id),
    headers,
    body: op.body ? JSON.stringify(ctx.validSample(op.body.schema)) : undefined,
  };
}

/** Send, but give up waiting after `withinMs` (the request keeps running; its answer is ignored). */
export async function sendWithin(ctx: CheckContext, request: RequestSpec, withinMs: number): Promise<Fired> {
  const sentAt = Date.now();
  let timer: NodeJS.Timeout | undefined;
  const sending = ctx.client.send(request);
  sending.catch(() => {}); // a late failure after the bound is already reported as a timeout
  try {
    const response = await Promise.race([
      sending,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${withinMs} ms`)), withinMs);
      }),
    ]);
    return { request, response, latencyMs: Date.now() - sentAt, sentAt };
  } catch (error) {
    return { request, error: (error as Error).message, latencyMs: Date.now() - sentAt, sentAt };
  } finally {
    clearTimeout(timer);
  }
}

/** A 202 with a Location: poll it until a terminal status or the deadline. */
export async function followOperation(
  ctx: CheckContext,
  fired: Fired,
  deadlineMs: number,
): Promise<string | undefined> {
  const location = fired.response?.status === 202 ? fired.response.headers.location : undefined;
  if (!location) return undefined;
  const until = Date.now() + deadlineMs;
  let status: string | undefined;
  while (Date.now() < until) {
    let polled: Response;
    try {
      polled = await ctx.client.send({ method: 'GET', path: location });
    } catch (error) {
      // e.g. a Location on another origin (the client refuses it): the operation is not followed
      if ((error as Error).name === 'BudgetExceeded') throw error;
      fired.operationStatus = `not followed: ${(error as Error).message}`;
      return undefined;
    }
    if (polled.status === 429 || polled.status === 503) {
      // the target asks the poller to slow down: do as it says (bounded by the deadline)
      const seconds = Number(polled.headers['retry-after']);
      await new Promise((r) =>
        setTimeout(r, Number.isFinite(seconds) ? Math.min(seconds * 1000, 2000) : 500),
      );
      continue;
    }
    status = (polled.json as { status?: unknown } | undefined)?.status as string | undefined;
    // an operation still running may answer 202 (a convention some APIs follow)
    if ((polled.status !== 200 && polled.status !== 202) || (status && TERMINAL.has(status))) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  fired.operationStatus = status;
  return status;
}

async function stateOf(ctx: CheckContext, creator: Operation, id: string): Promise<string> {
  const response = await ctx.client.send({
    method: 'GET',
    path: `${creator.path}/${encodeURIComponent(id)}`,
  });
  const body = response.json as { status?: unknown; state?: unknown } | undefined;
  return response.status === 200 ? String(body?.status ?? body?.state ?? 'any') : 'unreadable';
}

/** Create a resource and apply the route's prefix; its id, or undefined when a step was refused. */
export async function prepare(
  ctx: CheckContext,
  route: Route,
  /** collects the answer that refused a step */
  refusals: Response[] = [],
): Promise<string | undefined> {
  if (route.final === route.creator) return '';
  const created = await ctx.client.send(requestFor(ctx, route.creator));
  const id = (created.json as { id?: unknown } | undefined)?.id;
  if (created.status >= 300 || typeof id !== 'string') {
    refusals.push(created);
    return undefined;
  }
  for (const step of route.prefix) {
    const done = await ctx.client.send(requestFor(ctx, step, id));
    if (done.status >= 300) {
      refusals.push(done);
      return undefined;
    }
  }
  return id;
}

/** The final request of a prepared route (a fresh key, a fresh body). */
export function finalRequest(ctx: CheckContext, route: Route, id: string): RequestSpec {
  return route.final === route.creator ? requestFor(ctx, route.creator) : requestFor(ctx, route.final, id);
}

/** Every creator, and every action reachable from a fresh resource within `maxRequests`. */
export async function discoverRoutes(ctx: CheckContext, maxRequests = 200): Promise<Route[]> {
  const routes: Route[] = [];
  const budget = ctx.client.sent() + maxRequests;
  const creators = ctx.operations.filter((o) => o.method === 'POST' && o.pathParams.length === 0);
  for (const creator of creators) {
    routes.push({ creator, final: creator, prefix: [] });
    const actions = ctx.operations.filter(
      (o) =>
        o.method === 'POST' &&
        o.pathParams.length === 1 &&
        new RegExp(`^${creator.path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/\\{[^}]+\\}/[^/{}]+$`).test(
          o.path,
        ),
    );
    const reached = new Set<string>();
    const queue: Operation[][] = [[]];
    const visited = new Set<string>();
    while (queue.length && reached.size < actions.length && ctx.client.sent() < budget) {
      const prefix = queue.shift() as Operation[];
      let id = await prepare(ctx, { creator, prefix, final: actions[0] as Operation });
      if (id === undefined) continue;
      const state = await stateOf(ctx, creator, id);
      if (visited.has(state)) continue;
      visited.add(state);
      for (const action of actions) {
        if (reached.has(action.id) || ctx.client.sent() >= budget) continue;
        const answer = await ctx.client.send(requestFor(ctx, action, id));
        if (answer.status >= 300) continue;
        reached.add(action.id);
        routes.push({ creator, prefix, final: action });
        if (answer.status === 202) await followOperation(ctx, { response: answer } as Fired, 5000);
        queue.push([...prefix, action]);
        id = await prepare(ctx, { creator, prefix, final: action });
        if (id === undefined) break;
      }
    }
  }
  return routes;
}
