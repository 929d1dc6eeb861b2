/**
 * POST /v1/orders/{id}/{action}: submit, approve, cancel, reopen. The state
 * machine decides; the update is one conditional statement. An optional
 * If-Match makes the action conditional on the version the client read.
 */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { principalOf } from '../../toolkit/auth/index.ts';
import { ifMatchAllows, parseIfMatch, preconditionFailed } from '../../toolkit/concurrency/index.ts';
import { ProblemError, problemResponses } from '../../toolkit/problems/index.ts';
import type { Order } from '../domain/order.ts';
import { allowedActions, type OrderAction, transitionOf } from '../domain/state-machine.ts';
import { findOrder, transitionOrder } from '../store/orders-store.ts';
import { type OrderRouteDeps, sendOrder } from './deps.ts';
import { orderNotFound } from './read-orders.ts';
import { IfMatchHeader, OrderParams, OrderSchema } from './schemas.ts';

/** Actions a client may call today (pay arrives with the operations issue). */
export const CLIENT_ACTIONS: OrderAction[] = ['submit', 'approve', 'cancel', 'reopen'];

export function invalidTransition(order: Order, action: OrderAction): ProblemError {
  return new ProblemError('invalid-transition', {
    detail: `Cannot ${action} an order that is ${order.status}.`,
    extensions: { currentStatus: order.status, allowedActions: allowedActions(order.status, CLIENT_ACTIONS) },
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
        schema: {
          summary: SUMMARIES[action],
          description: `Allowed from: ${from.join(', ')}. Leads to: ${to}.`,
          tags: ['orders'],
          params: OrderParams,
          headers: { type: 'object', properties: { 'if-match': IfMatchHeader } },
          response: { 200: OrderSchema, ...problemResponses(400, 401, 404, 409, 412) },
        },
      },
      async (request, reply) => {
        const { tenantId } = principalOf(request);
        const ifMatch = parseIfMatch(request.headers['if-match']);
        const versions = ifMatch && !ifMatch.any ? ifMatch.versions : undefined;
        const now = new Date(deps.clock.now()).toISOString();
        for (let attempt = 0; attempt < 3; attempt++) {
          const moved = await transitionOrder(deps.db, {
            tenantId,
            id: request.params.id,
            from,
            to,
            versions,
            now,
          });
          if (moved) return sendOrder(reply, moved);
          const current = await findOrder(deps.db, tenantId, request.params.id);
          if (!current) throw orderNotFound(request.params.id);
          if (!ifMatchAllows(ifMatch, current.version)) throw preconditionFailed(current.version);
          if (!from.includes(current.status)) throw invalidTransition(current, action);
          // it changed between the update and the read; try again
        }
        throw new ProblemError('internal-error', { detail: 'The order kept changing; try again.' });
      },
    );
  }
}
