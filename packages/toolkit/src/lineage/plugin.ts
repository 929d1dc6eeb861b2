/**
 * Fastify plugin: one lineage row per matched request, recorded in onResponse
 * (after the answer went out; the recorder only buffers): request id, method,
 * route template in OpenAPI form, status, tenant, duration, the
 * Idempotency-Key and what became of it, and the resources the route named
 * with `addLineageRefs`.
 *
 * Idempotency outcome: `replayed` when the answer carries
 * `Idempotent-Replayed: true`; `conflict` when the request ended in a key
 * conflict (the same key in flight, or reused with another request);
 * `executed` when a key was sent and the handler ran.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { idempotencyProblems, parseIdempotencyKey } from '../idempotency/index.ts';
import { isProblemError } from '../problems/index.ts';
import type { IdempotencyOutcome, LineageRecorder } from './recorder.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** resources this request touched, for lineage (addLineageRefs) */
    lineageRefs: string[] | undefined;
    /** lineage bookkeeping: the handler was reached / the key conflicted */
    lineageState: { handled?: boolean; conflict?: boolean } | undefined;
  }
}

export interface LineagePluginOptions {
  recorder: LineageRecorder;
  /** the tenant a request belongs to, if any */
  tenantOf: (request: FastifyRequest) => string | undefined;
  /** which requests are recorded; default: every request that matched a route */
  include?: (request: FastifyRequest) => boolean;
}

/** the key misuse problems that mean another request owns the key (409, 422) */
const CONFLICT_SLUGS = new Set(
  idempotencyProblems.filter((p) => p.status === 409 || p.status === 422).map((p) => p.slug),
);
const MAX_REFS = 20;

/** Fastify's `/items/:id` → OpenAPI's `/items/{id}` (a regexp constraint is left out). */
export function openApiRoute(url: string): string {
  return url.replace(/:([A-Za-z0-9_]+)(\([^)]*\))?/g, '{$1}');
}

/** Name the resources a request touched (ids); they are stored with its lineage row. */
export function addLineageRefs(request: FastifyRequest, ...ids: Array<string | undefined>): void {
  for (const id of ids) {
    if (!id) continue;
    const refs = request.lineageRefs ?? [];
    request.lineageRefs = refs;
    if (refs.length < MAX_REFS && !refs.includes(id)) refs.push(id);
  }
}

function outcomeOf(
  request: FastifyRequest,
  replayed: boolean,
  key: string | undefined,
): IdempotencyOutcome | undefined {
  if (key === undefined) return undefined;
  if (replayed) return 'replayed';
  if (request.lineageState?.conflict) return 'conflict';
  return request.lineageState?.handled ? 'executed' : undefined;
}

async function lineagePluginImpl(app: FastifyInstance, options: LineagePluginOptions) {
  const { recorder, tenantOf } = options;
  const include = options.include ?? ((request: FastifyRequest) => request.routeOptions.url !== undefined);
  app.decorateRequest('lineageRefs', undefined);
  app.decorateRequest('lineageState', undefined);
  app.addHook('preHandler', async (request) => {
    request.lineageState = { ...request.lineageState, handled: true };
  });
  app.addHook('onError', async (request, _reply, error) => {
    if (isProblemError(error) && CONFLICT_SLUGS.has(error.slug))
      request.lineageState = { ...request.lineageState, conflict: true };
  });
  app.addHook('onResponse', async (request, reply) => {
    const url = request.routeOptions.url;
    if (url === undefined || !include(request)) return;
    const parsed = parseIdempotencyKey(request.headers['idempotency-key']);
    const key = parsed?.ok ? parsed.key : undefined;
    const replayed = reply.getHeader('idempotent-replayed') === 'true';
    recorder.recordRequest({
      requestId: request.id,
      tenantId: tenantOf(request),
      method: request.method,
      route: openApiRoute(url),
      status: reply.statusCode,
      durationMs: reply.elapsedTime,
      idempotencyKey: key,
      idempotencyOutcome: outcomeOf(request, replayed, key),
      refs: request.lineageRefs,
    });
  });
}

export const lineagePlugin = fp(lineagePluginImpl, { name: 'steadfast-lineage', fastify: '5.x' });
