/** What the order routes need, passed in (no module-level state). */

import { formatEtag } from '@steadfast/toolkit/concurrency';
import type { IdempotencyEngine } from '@steadfast/toolkit/idempotency';
import type { Clock, IdGenerator } from '@steadfast/toolkit/ids';
import type { OperationWaiter } from '@steadfast/toolkit/operations';
import type { Pool } from '@steadfast/toolkit/postgres';
import { ProblemError, type ProblemRegistry } from '@steadfast/toolkit/problems';
import type { DependencyClient } from '@steadfast/toolkit/resilience';
import { dependencyProblem, HttpStatusError } from '@steadfast/toolkit/resilience';
import type { FastifyReply } from 'fastify';
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
  /** the app's one problem registry (problems built off the request path, e.g. in an operation's error) */
  registry: ProblemRegistry;
}

/** The public shape of an order in the newest API version: no tenant id; the total with its currency. */
export function publicOrder(
  order: Order,
): Omit<Order, 'tenantId' | 'totalAmount'> & { total: { amount: number; currency: string } } {
  const { tenantId: _tenant, totalAmount, ...body } = order;
  return { ...body, total: { amount: totalAmount, currency: order.currency } };
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
    // already a problem (e.g. `overloaded`: our own capacity, not the partner's failure)
    if (error instanceof ProblemError) throw error;
    // pass the partner's own back-pressure on to our client
    const retryAfterS =
      error instanceof HttpStatusError && error.retryAfterMs ? Math.ceil(error.retryAfterMs / 1000) : 1;
    throw dependencyProblem('pricing', error, retryAfterS);
  }
}
