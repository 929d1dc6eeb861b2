/**
 * GET /v1/orders/{id}/recommendations — non-critical: degrades to an empty
 * list, never an error. GET /v1/dependencies — each partner's criticality,
 * breaker state, retry budget and recent outcomes (operator keys only).
 */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { requireOperator, requireTenant } from '@steadfast/toolkit/auth';
import { problemResponses } from '@steadfast/toolkit/problems';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { findOrder } from '../store/orders-store.ts';
import type { OrderRouteDeps } from './deps.ts';
import { orderNotFound } from './read-orders.ts';
import { OrderParams } from './schemas.ts';

const RecommendationsSchema = Type.Object({
  items: Type.Array(Type.Object({ sku: Type.String(), score: Type.Number() })),
  degraded: Type.Boolean({ description: 'true when recommendations were unavailable and the list is empty' }),
});

const DependenciesSchema = Type.Object({
  data: Type.Array(
    Type.Object({
      name: Type.String(),
      criticality: Type.String(),
      breaker: Type.String(),
      budgetRemaining: Type.Integer(),
      recentOutcomes: Type.Unsafe<Record<string, number>>({
        type: 'object',
        additionalProperties: { type: 'integer' },
      }),
    }),
  ),
});

export function registerOrderExtras(app: FastifyInstance, deps: OrderRouteDeps): void {
  const typed = app.withTypeProvider<TypeBoxTypeProvider>();
  typed.get(
    '/v1/orders/:id/recommendations',
    {
      schema: {
        summary: 'Products to suggest with this order (empty and degraded when the partner is down)',
        tags: ['orders'],
        params: OrderParams,
        response: { 200: RecommendationsSchema, ...problemResponses(400, 401, 403, 404) },
      },
    },
    async (request) => {
      const { tenantId } = requireTenant(request);
      const order = await findOrder(deps.db, tenantId, request.params.id);
      if (!order) throw orderNotFound(request.params.id);
      return deps.recommendations.forSku(order.items[0].sku, {
        requestId: String(request.id),
        traceparent: request.trace?.header,
      });
    },
  );
  typed.get(
    '/v1/dependencies',
    {
      schema: {
        summary: 'State of every partner dependency (operator key)',
        tags: ['operations'],
        response: { 200: DependenciesSchema, ...problemResponses(401, 403) },
      },
    },
    async (request) => {
      requireOperator(request);
      return { data: deps.dependencies.map((d) => d.status()) };
    },
  );
}
