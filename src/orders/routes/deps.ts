/** What the order routes need, passed in (no module-level state). */
import type { FastifyReply } from 'fastify';
import { formatEtag } from '../../toolkit/concurrency/index.ts';
import type { Clock, IdGenerator } from '../../toolkit/ids/index.ts';
import type { Pool } from '../../toolkit/postgres/index.ts';
import type { Order } from '../domain/order.ts';
import type { PriceSource } from '../domain/pricing.ts';

export interface OrderRouteDeps {
  db: Pool;
  ids: IdGenerator;
  clock: Clock;
  prices: PriceSource;
}

/** The public shape of an order (no tenant id), with its ETag header. */
export function sendOrder(reply: FastifyReply, order: Order, status = 200): FastifyReply {
  const { tenantId: _tenant, ...body } = order;
  return reply.code(status).header('ETag', formatEtag(order.version)).send(body);
}
