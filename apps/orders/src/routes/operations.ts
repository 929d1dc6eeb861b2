/** GET /v1/operations/{id} (Prefer: wait=N) and GET /v1/operations (scoped by tenant, or by operator for its reconciliations; cursor pagination). */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { principalOf, principalScope } from '@steadfast/toolkit/auth';
import { idPattern } from '@steadfast/toolkit/ids';
import {
  findOperation,
  listOperations,
  OperationSchema,
  preferredWaitS,
  publicOperation,
  sendOperation,
} from '@steadfast/toolkit/operations';
import { ProblemError, problemResponses } from '@steadfast/toolkit/problems';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { DEFAULT_PAGE_LIMIT, decodeCursor, PageLimit, pageOf } from './cursor.ts';
import type { OrderRouteDeps } from './deps.ts';
import { operationLocation } from './operation-location.ts';

const OperationParams = Type.Object({ id: Type.String({ pattern: idPattern('op') }) });
const ListQuery = Type.Object(
  {
    status: Type.Optional(
      Type.Unsafe<string>({
        type: 'string',
        enum: ['pending', 'running', 'succeeded', 'failed', 'canceled'],
      }),
    ),
    kind: Type.Optional(Type.String({ pattern: '^[a-z-]{1,40}$' })),
    limit: PageLimit,
    cursor: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_-]{1,200}$' })),
  },
  { additionalProperties: false },
);

export function registerOperationRoutes(app: FastifyInstance, deps: OrderRouteDeps): void {
  const typed = app.withTypeProvider<TypeBoxTypeProvider>();
  typed.get(
    '/v1/operations/:id',
    {
      schema: {
        summary: 'Read an operation (Prefer: wait=N holds the answer until it ends or N ≤ 30 s pass)',
        tags: ['operations'],
        params: OperationParams,
        headers: { type: 'object', properties: { prefer: { type: 'string' } } },
        response: { 200: OperationSchema, 202: OperationSchema, ...problemResponses(400, 401, 404) },
      },
    },
    async (request, reply) => {
      const tenantId = principalScope(principalOf(request)); // an operator reads its own (reconciliations)
      const waitS = preferredWaitS(request);
      const op = waitS
        ? await deps.waiter.wait(request.params.id, tenantId, waitS * 1000)
        : await findOperation(deps.db, request.params.id, tenantId);
      if (!op) throw new ProblemError('not-found', { detail: `No operation ${request.params.id}.` });
      return sendOperation(reply, op, { location: operationLocation(op.id), waitedS: waitS });
    },
  );
  typed.get(
    '/v1/operations',
    {
      schema: {
        summary: 'List operations, newest first',
        tags: ['operations'],
        querystring: ListQuery,
        response: {
          200: Type.Object({
            data: Type.Array(OperationSchema),
            nextCursor: Type.Union([Type.String(), Type.Null()]),
          }),
          ...problemResponses(400, 401),
        },
      },
    },
    async (request) => {
      const tenantId = principalScope(principalOf(request)); // an operator reads its own (reconciliations)
      const { limit, cursor, status, kind } = request.query;
      const rows = await listOperations(deps.db, {
        tenantId,
        status,
        kind,
        limit: limit ?? DEFAULT_PAGE_LIMIT,
        beforeId: cursor === undefined ? undefined : decodeCursor(cursor, 'op'),
      });
      const page = pageOf(rows, limit);
      return { data: page.rows.map(publicOperation), nextCursor: page.nextCursor };
    },
  );
}
