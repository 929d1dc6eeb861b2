/** What the order routes need, passed in (no module-level state). */
import type { FastifyReply } from 'fastify';
import { formatEtag } from '../../toolkit/concurrency/index.ts';
import type { IdempotencyEngine } from '../../toolkit/idempotency/index.ts';
import type { Clock, IdGenerator } from '../../toolkit/ids/index.ts';
import type { Pool } from '../../toolkit/postgres/index.ts';
import type { Order } from '../domain/order.ts';
import type { PriceSource } from '../domain/pricing.ts';

export interface OrderRouteDeps {
  db: Pool;
  ids: IdGenerator;
  clock: Clock;
  prices: PriceSource;
  idempotency: IdempotencyEngine;
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
