/**
 * Dead letters: GET list / one, POST replay (requeues with fresh attempts;
 * replaying twice runs once), POST discard { reason } — both through
 * admin/dead-letter-actions.ts, audited. A tenant key sees its
 * tenant's own; an operator key sees all, including system jobs. Discarding a
 * `payment-mismatch` dead letter gives up on that payment (payments/give-up.ts):
 * the operation fails and the order goes back to approved, in the same transaction.
 */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { principalOf } from '@steadfast/toolkit/auth';
import { IDEMPOTENCY_KEY_HEADER } from '@steadfast/toolkit/idempotency';
import { idPattern } from '@steadfast/toolkit/ids';
import { type DeadLetter, findDeadLetter, listDeadLetters } from '@steadfast/toolkit/jobs';
import { ALL_TENANTS, type TenantScope } from '@steadfast/toolkit/postgres';
import { ProblemError, problemResponses } from '@steadfast/toolkit/problems';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import type { Actor } from '../admin/audit.ts';
import { createDeadLetterActions } from '../admin/dead-letter-actions.ts';
import { DEFAULT_PAGE_LIMIT, decodeCursor, PageLimit, pageOf } from './cursor.ts';
import type { OrderRouteDeps } from './deps.ts';

const DeadLetterSchema = Type.Object(
  {
    id: Type.String(),
    tenantId: Type.Union([Type.String(), Type.Null()]),
    task: Type.String(),
    payload: Type.Unsafe<Record<string, unknown>>({ type: 'object', additionalProperties: true }),
    attempts: Type.Integer(),
    errorCategory: Type.String(),
    errorMessage: Type.String(),
    status: Type.Unsafe<DeadLetter['status']>({ type: 'string', enum: ['dead', 'replayed', 'discarded'] }),
    discardReason: Type.Union([Type.String(), Type.Null()]),
    firstFailedAt: Type.String(),
    lastFailedAt: Type.String(),
    replayedAt: Type.Union([Type.String(), Type.Null()]),
  },
  { title: 'DeadLetter' },
);
const Params = Type.Object({ id: Type.String({ pattern: idPattern('dl') }) });
const Query = Type.Object(
  {
    task: Type.Optional(Type.String({ pattern: '^[a-z-]{1,60}$' })),
    status: Type.Optional(Type.Unsafe<string>({ type: 'string', enum: ['dead', 'replayed', 'discarded'] })),
    limit: PageLimit,
    cursor: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_-]{1,200}$' })),
  },
  { additionalProperties: false },
);
const KEY_HEADERS = {
  type: 'object',
  properties: IDEMPOTENCY_KEY_HEADER,
  required: ['idempotency-key'],
} as const;

/** a tenant key: its own tenant; an operator key: every tenant and system jobs */
function visibleTenant(request: FastifyRequest): TenantScope {
  const principal = principalOf(request);
  return principal.kind === 'operator' ? ALL_TENANTS : principal.tenantId;
}

/** who acts through the API, for the audit */
function apiActor(request: FastifyRequest): Actor {
  const principal = principalOf(request);
  return {
    who: principal.kind === 'operator' ? `operator:${principal.operatorId}` : `tenant:${principal.tenantId}`,
    via: 'api',
  };
}

export function registerDeadLetterRoutes(app: FastifyInstance, deps: OrderRouteDeps): void {
  const typed = app.withTypeProvider<TypeBoxTypeProvider>();
  const actions = createDeadLetterActions({ ids: deps.ids, registry: deps.registry });
  typed.get(
    '/v1/dead-letters',
    {
      schema: {
        summary: 'List dead letters',
        tags: ['operations'],
        querystring: Query,
        response: {
          200: Type.Object({
            data: Type.Array(DeadLetterSchema),
            nextCursor: Type.Union([Type.String(), Type.Null()]),
          }),
          ...problemResponses(400, 401),
        },
      },
    },
    async (request) => {
      const { limit, cursor, task, status } = request.query;
      const rows = await listDeadLetters(deps.db, {
        tenantId: visibleTenant(request),
        task,
        status,
        limit: limit ?? DEFAULT_PAGE_LIMIT,
        beforeId: cursor ? decodeCursor(cursor, 'dl') : undefined,
      });
      const page = pageOf(rows, limit);
      return { data: page.rows, nextCursor: page.nextCursor };
    },
  );
  typed.get(
    '/v1/dead-letters/:id',
    {
      schema: {
        summary: 'Read a dead letter',
        tags: ['operations'],
        params: Params,
        response: { 200: DeadLetterSchema, ...problemResponses(400, 401, 404) },
      },
    },
    async (request) => {
      const found = await findDeadLetter(deps.db, request.params.id, visibleTenant(request));
      if (!found) throw new ProblemError('not-found', { detail: `No dead letter ${request.params.id}.` });
      return found;
    },
  );
  typed.post(
    '/v1/dead-letters/:id/replay',
    {
      config: { idempotency: true },
      schema: {
        summary: 'Run a dead letter again with fresh attempts',
        tags: ['operations'],
        params: Params,
        headers: KEY_HEADERS,
        response: { 200: DeadLetterSchema, ...problemResponses(400, 401, 404, 409, 422) },
      },
    },
    async (request, reply) =>
      deps.idempotency.run(request, reply, async (tx) => {
        const replayed = await actions.replay(
          tx,
          request.params.id,
          visibleTenant(request),
          apiActor(request),
        );
        return { status: 200, body: replayed };
      }),
  );
  typed.post(
    '/v1/dead-letters/:id/discard',
    {
      config: { idempotency: true },
      schema: {
        summary:
          'Give up on a dead letter, with a reason (a payment-mismatch one: the payment fails, the order is back in approved)',
        tags: ['operations'],
        params: Params,
        headers: KEY_HEADERS,
        body: Type.Object(
          { reason: Type.String({ minLength: 1, maxLength: 500 }) },
          { additionalProperties: false },
        ),
        response: { 200: DeadLetterSchema, ...problemResponses(400, 401, 404, 409, 422) },
      },
    },
    async (request, reply) =>
      deps.idempotency.run(request, reply, async (tx) => {
        const discarded = await actions.discard(
          tx,
          request.params.id,
          visibleTenant(request),
          request.body.reason,
          apiActor(request),
        );
        return { status: 200, body: discarded };
      }),
  );
}
