/** POST /v1/orders: price the items and insert a draft in one statement. */

import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { principalOf } from '../../toolkit/auth/index.ts';
import { problemResponses } from '../../toolkit/problems/index.ts';
import { type Order, priceItems } from '../domain/order.ts';
import { insertOrder } from '../store/orders-store.ts';
import { type OrderRouteDeps, sendOrder } from './deps.ts';
import { CreateOrderBody, OrderSchema } from './schemas.ts';

export function registerCreateOrder(app: FastifyInstance, deps: OrderRouteDeps): void {
  app.withTypeProvider<TypeBoxTypeProvider>().post(
    '/v1/orders',
    {
      schema: {
        summary: 'Create a draft order',
        tags: ['orders'],
        body: CreateOrderBody,
        response: {
          201: { description: 'The new draft', content: { 'application/json': { schema: OrderSchema } } },
          ...problemResponses(400, 401, 413, 415, 422, 503),
        },
      },
    },
    async (request, reply) => {
      const { tenantId } = principalOf(request);
      const body = request.body;
      const quote = await deps.prices.quote([...new Set(body.items.map((i) => i.sku))], body.currency);
      const priced = priceItems(body.items, quote);
      const now = new Date(deps.clock.now()).toISOString();
      const order: Order = {
        id: deps.ids.next('ord'),
        tenantId,
        status: 'draft',
        currency: body.currency,
        items: priced.items,
        totalAmount: priced.totalAmount,
        customerEmail: body.customerEmail ?? null,
        metadata: body.metadata ?? {},
        lastPaymentError: null,
        pricing: { asOf: quote.asOf, stale: quote.stale },
        version: 1,
        createdAt: now,
        updatedAt: now,
      };
      await insertOrder(deps.db, order);
      reply.header('Location', `/v1/orders/${order.id}`);
      return sendOrder(reply, order, 201);
    },
  );
}
