/**
 * Request lineage in the Orders service: one recorder per process, attached
 * to every dependency client the process has, and the plugin on the API's
 * own routes (`/v1/…` and webhook intake; not health, metrics or docs).
 * Rows are kept LINEAGE_RETENTION_DAYS, reaped by the worker.
 */
import { principalScope } from '@steadfast/toolkit/auth';
import {
  addLineageRefs,
  createLineageRecorder,
  type LineageRecorder,
  lineagePlugin,
  reapLineage,
} from '@steadfast/toolkit/lineage';
import type { BackgroundErrors, Logger } from '@steadfast/toolkit/observability';
import type { Queryable } from '@steadfast/toolkit/postgres';
import type { DependencyClient } from '@steadfast/toolkit/resilience';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Registry } from 'prom-client';

export const LINEAGE_RETENTION_DEFAULT_S = 7 * 86_400;

export function createOrdersLineage(options: {
  db: Queryable;
  log: Logger;
  errors: BackgroundErrors;
  registry: Registry;
  clients?: DependencyClient[];
}): LineageRecorder {
  const recorder = createLineageRecorder({
    db: options.db,
    log: options.log,
    errors: options.errors,
    registry: options.registry,
  });
  for (const client of options.clients ?? []) recorder.attach(client);
  return recorder;
}

const recorded = (request: FastifyRequest) => {
  const url = request.routeOptions.url;
  return url !== undefined && (url.startsWith('/v1/') || url.startsWith('/webhooks/'));
};

/** a prefixed id of ours (`ord_…`, `op_…`): 26 Crockford base32 characters after the prefix */
const OUR_ID = /^[a-z]{2,5}_[0-9a-z]{26}$/;
const LOCATION_ID = /\/([a-z]{2,5}_[0-9a-z]{26})(?:[/?#]|$)/;

/**
 * After auth: the row's tenant is the principal's (a tenant id, or `operator:<id>`); none for webhooks.
 * Refs, for every route at once: the `:id` a route acts on (pay, approve, submit, cancel, an
 * operation read) and the resource the answer's `Location` names (a create's order, a pay's
 * operation — a replay's too, whose stored answer names the first request's resource).
 */
export async function registerLineage(server: FastifyInstance, recorder: LineageRecorder): Promise<void> {
  await server.register(lineagePlugin, {
    recorder,
    tenantOf: (request) => (request.principal ? principalScope(request.principal) : undefined),
    include: recorded,
  });
  server.addHook('onSend', async (request, reply, payload) => {
    if (!recorded(request)) return payload;
    const id = (request.params as { id?: unknown } | undefined)?.id;
    if (typeof id === 'string' && OUR_ID.test(id)) addLineageRefs(request, id);
    const location = reply.getHeader('location');
    if (typeof location === 'string') addLineageRefs(request, LOCATION_ID.exec(location)?.[1]);
    return payload;
  });
}

/** The worker's clean-up: lineage older than the retention. */
export function reapOrdersLineage(db: Queryable, retentionS: number, nowMs: number): Promise<number> {
  return reapLineage(db, { olderThan: new Date(nowMs - retentionS * 1000) });
}
