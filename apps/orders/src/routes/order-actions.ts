/**
 * POST /v1/orders/{id}/{action}: submit, approve, cancel, reopen. The state
 * machine decides; the update is one conditional statement. An optional
 * If-Match makes the action conditional on the version the client read.
 */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { requireTenant } from '@steadfast/toolkit/auth';
import { formatEtag, ifMatchAllows, parseIfMatch, preconditionFailed } from '@steadfast/toolkit/concurrency';
import { IDEMPOTENCY_KEY_HEADER } from '@steadfast/toolkit/idempotency';
import { writeOutboxEvent } from '@steadfast/toolkit/outbox';
import { ProblemError, problemResponses } from '@steadfast/toolkit/problems';
import type { FastifyInstance } from 'fastify';
import type { Order } from '../domain/order.ts';
import { allowedActions, type OrderAction, transitionOf } from '../domain/state-machine.ts';
import { findOrder, transitionOrder } from '../store/orders-store.ts';
import { type OrderRouteDeps, publicOrder } from './deps.ts';
import { orderNotFound } from './read-orders.ts';
import { IfMatchHeader, OrderParams, OrderSchema } from './schemas.ts';

/** Notifications announced through the outbox, in the same transaction as the change. */
const OUTBOX_EVENTS: Partial<Record<OrderAction, string>> = {
  submit: 'order.submitted',
  approve: 'order.approved',
  cancel: 'order.canceled',
};

/** Actions with their own route here (pay has its own: it starts an operation). */
export const CLIENT_ACTIONS: OrderAction[] = ['submit', 'approve', 'cancel', 'reopen'];

export function invalidTransition(order: Order, action: OrderAction): ProblemError {
  return new ProblemError('invalid-transition', {
    detail: `Cannot ${action} an order that is ${order.status}.`,
    extensions: {
      currentStatus: order.status,
      allowedActions: allowedActions(order.status, [...CLIENT_ACTIONS, 'pay']),
    },
  });
}

const SUMMARIES: Record<string, string> = {
  submit: 'Submit a draft for approval',
  approve: 'Approve a submitted order',
  cancel: 'Cancel an order that is not paid',
  reopen: 'Return a submitted or canceled order to draft',
};

export function registerOrderActions(app: FastifyInstance, deps: OrderRouteDeps): void {
  const typed = app.withTypeProvider<TypeBoxTypeProvider>();
  for (const action of CLIENT_ACTIONS) {
    const { from, to } = transitionOf(action);
    typed.post(
      `/v1/orders/:id/${action}`,
      {
        config: { idempotency: true },
        schema: {
          summary: SUMMARIES[action],
          description: `Allowed from: ${from.join(', ')}. Leads to: ${to}.`,
          tags: ['orders'],
          params: OrderParams,
          headers: {
            type: 'object',
            properties: { 'if-match': IfMatchHeader, ...IDEMPOTENCY_KEY_HEADER },
            required: ['idempotency-key'],
          },
          response: { 200: OrderSchema, ...problemResponses(400, 401, 404, 409, 412, 422) },
        },
      },
      async (request, reply) => {
        const { tenantId } = requireTenant(request);
        const ifMatch = parseIfMatch(request.headers['if-match']);
        const versions = ifMatch && !ifMatch.any ? ifMatch.versions : undefined;
        const now = new Date(deps.clock.now()).toISOString();
        const id = request.params.id;
        // docs:start run
        return deps.idempotency.run(request, reply, async (tx) => {
          for (let attempt = 0; attempt < 3; attempt++) {
            const moved = await transitionOrder(tx, { tenantId, id, from, to, versions, now });
            if (moved) {
              deps.analytics.track({ type: `order.${moved.status}`, orderId: id, tenantId, at: now });
              if (OUTBOX_EVENTS[action]) {
                await writeOutboxEvent(tx, {
                  id: deps.ids.next('evt'),
                  tenantId,
                  type: OUTBOX_EVENTS[action],
                  payload: { orderId: id, status: moved.status },
                });
              }
              return { status: 200, body: publicOrder(moved), headers: { ETag: formatEtag(moved.version) } };
            }
            const current = await findOrder(tx, tenantId, id);
            if (!current) throw orderNotFound(id);
            if (!ifMatchAllows(ifMatch, current.version)) throw preconditionFailed(current.version);
            if (!from.includes(current.status)) throw invalidTransition(current, action);
            // it changed between the update and the read; try again
          }
          throw new ProblemError('internal-error', { detail: 'The order kept changing; try again.' });
        });
        // docs:end run
      },
    );
  }
}
