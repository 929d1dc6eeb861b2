/** POST /v1/orders: replay a stored answer, else price the items and insert a draft in one statement. */

import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { requireTenant } from '@steadfast/toolkit/auth';
import { formatEtag } from '@steadfast/toolkit/concurrency';
import { IDEMPOTENCY_KEY_HEADER } from '@steadfast/toolkit/idempotency';
import { problemResponses } from '@steadfast/toolkit/problems';
import type { FastifyInstance } from 'fastify';
import { mergeCustomer, type Order, priceItems } from '../domain/order.ts';
import { orderRow } from '../store/orders-store.ts';
import { type OrderRouteDeps, publicOrder, quoteOrProblem } from './deps.ts';
import { CreateOrderBody, OrderSchema } from './schemas.ts';

export function registerCreateOrder(app: FastifyInstance, deps: OrderRouteDeps): void {
  app.withTypeProvider<TypeBoxTypeProvider>().post(
    '/v1/orders',
    {
      config: { idempotency: true },
      schema: {
        summary: 'Create a draft order',
        tags: ['orders'],
        headers: { type: 'object', properties: IDEMPOTENCY_KEY_HEADER, required: ['idempotency-key'] },
        body: CreateOrderBody,
        response: {
          201: { description: 'The new draft', content: { 'application/json': { schema: OrderSchema } } },
          ...problemResponses(400, 401, 409, 413, 415, 422, 503, 504),
        },
      },
    },
    async (request, reply) => {
      const { tenantId } = requireTenant(request);
      const body = request.body;
      // docs:start insert-once
      // a retry of a create that already succeeded is answered from the stored 201 first:
      // the prices are fetched only for a key with no stored answer
      return deps.idempotency.insertOnce(request, reply, async () => {
        const quote = await quoteOrProblem(deps, body.items, body.currency, {
          requestId: String(request.id),
          traceparent: request.trace?.header,
        });
        const priced = priceItems(body.items, quote);
        const now = new Date(deps.clock.now()).toISOString();
        const order: Order = {
          id: deps.ids.next('ord'),
          tenantId,
          status: 'draft',
          currency: body.currency,
          items: priced.items,
          totalAmount: priced.totalAmount,
          customer: body.customer ? mergeCustomer(null, body.customer) : null,
          metadata: body.metadata ?? {},
          lastPaymentError: null,
          pricing: { asOf: quote.asOf, stale: quote.stale },
          version: 1,
          createdAt: now,
          updatedAt: now,
        };
        return {
          result: {
            status: 201,
            body: publicOrder(order),
            headers: { Location: `/v1/orders/${order.id}`, ETag: formatEtag(order.version) },
          },
          row: orderRow(order),
          onExecuted: () =>
            deps.analytics.track({
              type: 'order.created',
              orderId: order.id,
              tenantId,
              totalAmount: order.totalAmount,
              at: now,
            }),
        };
      });
      // docs:end insert-once
    },
  );
}
