/** What the order routes need, passed in (no module-level state). */
import type { FastifyReply } from 'fastify';
import { formatEtag } from '../../toolkit/concurrency/index.ts';
import type { IdempotencyEngine } from '../../toolkit/idempotency/index.ts';
import type { Clock, IdGenerator } from '../../toolkit/ids/index.ts';
import type { OperationWaiter } from '../../toolkit/operations/index.ts';
import type { Pool } from '../../toolkit/postgres/index.ts';
import { ProblemError } from '../../toolkit/problems/index.ts';
import type { DependencyClient } from '../../toolkit/resilience/index.ts';
import { dependencyProblem, HttpStatusError } from '../../toolkit/resilience/index.ts';
import type { Order } from '../domain/order.ts';
import { type CallContext, type PriceQuote, type PriceSource, UnknownSkuError } from '../domain/pricing.ts';
import type { AnalyticsBuffer } from '../partners/analytics.ts';
import type { RecommendationsAdapter } from '../partners/recommendations.ts';

export interface OrderRouteDeps {
  db: Pool;
  ids: IdGenerator;
  clock: Clock;
  prices: PriceSource;
  idempotency: IdempotencyEngine;
  recommendations: RecommendationsAdapter;
  analytics: Pick<AnalyticsBuffer, 'track'>;
  dependencies: DependencyClient[];
  waiter: OperationWaiter;
}

/** The public shape of an order: everything but the tenant id. */
export function publicOrder(order: Order): Omit<Order, 'tenantId'> {
  const { tenantId: _tenant, ...body } = order;
  return body;
}

/** An order response with its ETag header. */
export function sendOrder(reply: FastifyReply, order: Order, status = 200): FastifyReply {
  return reply.code(status).header('ETag', formatEtag(order.version)).send(publicOrder(order));
}

/** Price items through the price source, turning its failures into problems. */
export async function quoteOrProblem(
  deps: OrderRouteDeps,
  items: { sku: string }[],
  currency: string,
  context: CallContext,
): Promise<PriceQuote> {
  try {
    return await deps.prices.quote([...new Set(items.map((i) => i.sku))], currency, context);
  } catch (error) {
    if (error instanceof UnknownSkuError) {
      const index = items.findIndex((i) => i.sku === error.sku);
      throw new ProblemError('unknown-sku', {
        detail: `The SKU ${error.sku} is not known to the price list.`,
        errors: [{ pointer: `/items/${index}/sku`, message: 'is not a known SKU', in: 'body' }],
      });
    }
    // pass the partner's own back-pressure on to our client
    const retryAfterS =
      error instanceof HttpStatusError && error.retryAfterMs ? Math.ceil(error.retryAfterMs / 1000) : 1;
    throw dependencyProblem('pricing', error, retryAfterS);
  }
}
