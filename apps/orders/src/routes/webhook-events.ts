/**
 * Operators' view of the webhook inbox and reconciliation (operator keys only; a tenant key is 403):
 * GET /v1/webhook-events?status=, POST /v1/webhook-events/{id}/replay,
 * POST /v1/reconciliations (one sweep now → 202 + operation).
 */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { principalScope, requireOperator } from '@steadfast/toolkit/auth';
import { IDEMPOTENCY_KEY_HEADER } from '@steadfast/toolkit/idempotency';
import { idPattern } from '@steadfast/toolkit/ids';
import { enqueueJob } from '@steadfast/toolkit/jobs';
import { createOperation, OperationSchema, operationResult } from '@steadfast/toolkit/operations';
import { jsonRuleIssues, ProblemError, problemResponses } from '@steadfast/toolkit/problems';
import { requeueInboxRow } from '@steadfast/toolkit/webhooks';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { DEFAULT_PAGE_LIMIT, decodeCursor, PageLimit, pageOf } from './cursor.ts';
import type { OrderRouteDeps } from './deps.ts';
import { operationLocation } from './operation-location.ts';

const EventSchema = Type.Object({
  id: Type.String(),
  source: Type.String(),
  webhookId: Type.String(),
  eventType: Type.Union([Type.String(), Type.Null()]),
  status: Type.String(),
  reason: Type.Union([Type.String(), Type.Null()]),
  attempts: Type.Integer(),
  headers: Type.Unsafe<Record<string, string>>({ type: 'object', additionalProperties: true }),
  payload: Type.Unknown(),
  payloadOmitted: Type.Union([Type.String(), Type.Null()], {
    description: 'why `payload` is null although the event has one (it nests too deep to serve)',
  }),
  receivedAt: Type.String(),
  processedAt: Type.Union([Type.String(), Type.Null()]),
});
/**
 * A stored payload of any shape must not break the list: one nested deeper
 * than JSON.stringify (the response serializer) can go would make every page
 * holding it a 500 until the reaper removes it. Such a payload is left out and
 * the reason given; the raw delivery stays in the inbox.
 */
const SERVABLE_DEPTH = 256;
function servablePayload(payload: unknown): { payload: unknown; payloadOmitted: string | null } {
  if (payload === null || typeof payload !== 'object') return { payload, payloadOmitted: null };
  const [tooDeep] = jsonRuleIssues(payload, { maxDepth: SERVABLE_DEPTH, maxIssues: 1 });
  return tooDeep
    ? { payload: null, payloadOmitted: `payload nests deeper than ${SERVABLE_DEPTH} levels` }
    : { payload, payloadOmitted: null };
}

const KEY_HEADERS = {
  type: 'object',
  properties: IDEMPOTENCY_KEY_HEADER,
  required: ['idempotency-key'],
} as const;

export function registerWebhookEventRoutes(app: FastifyInstance, deps: OrderRouteDeps): void {
  const typed = app.withTypeProvider<TypeBoxTypeProvider>();
  typed.get(
    '/v1/webhook-events',
    {
      schema: {
        summary: 'The webhook inbox (operator key)',
        tags: ['operations'],
        querystring: Type.Object(
          {
            status: Type.Optional(
              Type.Unsafe<string>({ type: 'string', enum: ['received', 'processed', 'ignored', 'failed'] }),
            ),
            limit: PageLimit,
            cursor: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_-]{1,200}$' })),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            data: Type.Array(EventSchema),
            nextCursor: Type.Union([Type.String(), Type.Null()]),
          }),
          ...problemResponses(400, 401, 403),
        },
      },
    },
    async (request) => {
      requireOperator(request);
      const { status, limit, cursor } = request.query;
      const { rows } = await deps.db.query(
        `SELECT id, source, webhook_id, event_type, status, reason, attempts, headers, payload, received_at, processed_at
         FROM webhook_inbox WHERE ($1::text IS NULL OR status = $1) AND ($2::text IS NULL OR id < $2)
         ORDER BY id DESC LIMIT $3`,
        [status ?? null, cursor ? decodeCursor(cursor, 'whk') : null, (limit ?? DEFAULT_PAGE_LIMIT) + 1],
      );
      const page = pageOf(rows, limit);
      const data = page.rows.map((r) => ({
        id: r.id,
        source: r.source,
        webhookId: r.webhook_id,
        eventType: r.event_type,
        status: r.status,
        reason: r.reason,
        attempts: r.attempts,
        headers: r.headers,
        ...servablePayload(r.payload),
        receivedAt: r.received_at.toISOString(),
        processedAt: r.processed_at?.toISOString() ?? null,
      }));
      return { data, nextCursor: page.nextCursor };
    },
  );
  typed.post(
    '/v1/webhook-events/:id/replay',
    {
      config: { idempotency: true },
      schema: {
        summary: 'Process an inbox event again (operator key)',
        tags: ['operations'],
        params: Type.Object({ id: Type.String({ pattern: idPattern('whk') }) }),
        headers: KEY_HEADERS,
        response: {
          200: Type.Object({ id: Type.String(), status: Type.String() }),
          ...problemResponses(400, 401, 403, 404, 422),
        },
      },
    },
    async (request, reply) => {
      requireOperator(request);
      return deps.idempotency.run(request, reply, async (tx) => {
        const row = await requeueInboxRow(tx, request.params.id);
        if (!row) throw new ProblemError('not-found', { detail: `No webhook event ${request.params.id}.` });
        return { status: 200, body: row };
      });
    },
  );
  typed.post(
    '/v1/reconciliations',
    {
      config: { idempotency: true },
      schema: {
        summary: 'Run the payment reconciliation sweep now (operator key) → 202 + operation',
        tags: ['operations'],
        headers: KEY_HEADERS,
        response: { 202: OperationSchema, ...problemResponses(401, 403, 422) },
      },
    },
    async (request, reply) => {
      // the operation belongs to the operator (operator:<id>): it reads it at /v1/operations/{id}
      const tenantId = principalScope(requireOperator(request));
      return deps.idempotency.run(request, reply, async (tx) => {
        const op = await createOperation(tx, { id: deps.ids.next('op'), tenantId, kind: 'reconciliation' });
        await enqueueJob(tx, 'reconcile-now', { operationId: op.id }, { key: `reconcile-now:${op.id}` });
        return operationResult(op, { location: operationLocation(op.id) });
      });
    },
  );
}
