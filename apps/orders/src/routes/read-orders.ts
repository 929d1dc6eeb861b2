/** GET /v1/orders/{id} and GET /v1/orders (cursor pagination, newest first). */

import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { requireTenant } from '@steadfast/toolkit/auth';
import { ProblemError, problemResponses } from '@steadfast/toolkit/problems';
import type { FastifyInstance } from 'fastify';
import { findOrder, listOrders } from '../store/orders-store.ts';
import { DEFAULT_PAGE_LIMIT, decodeCursor, pageOf } from './cursor.ts';
import { type OrderRouteDeps, publicOrder, sendOrder } from './deps.ts';
import { ListOrdersQuery, OrderList, OrderParams, OrderSchema } from './schemas.ts';

export function orderNotFound(id: string): ProblemError {
  return new ProblemError('not-found', { detail: `No order ${id}.` });
}

export function registerReadOrders(app: FastifyInstance, deps: OrderRouteDeps): void {
  const typed = app.withTypeProvider<TypeBoxTypeProvider>();
  typed.get(
    '/v1/orders/:id',
    {
      schema: {
        summary: 'Read an order',
        tags: ['orders'],
        params: OrderParams,
        response: { 200: OrderSchema, ...problemResponses(400, 401, 404) },
      },
    },
    async (request, reply) => {
      const { tenantId } = requireTenant(request);
      const order = await findOrder(deps.db, tenantId, request.params.id);
      if (!order) throw orderNotFound(request.params.id);
      return sendOrder(reply, order);
    },
  );
  typed.get(
    '/v1/orders',
    {
      schema: {
        summary: 'List orders, newest first',
        tags: ['orders'],
        querystring: ListOrdersQuery,
        response: { 200: OrderList, ...problemResponses(400, 401) },
      },
    },
    async (request) => {
      const { tenantId } = requireTenant(request);
      const { status, limit, cursor } = request.query;
      const rows = await listOrders(deps.db, {
        tenantId,
        status,
        limit: limit ?? DEFAULT_PAGE_LIMIT,
        beforeId: cursor === undefined ? undefined : decodeCursor(cursor, 'ord'),
      });
      const page = pageOf(rows, limit);
      return { data: page.rows.map(publicOrder), nextCursor: page.nextCursor };
    },
  );
}
