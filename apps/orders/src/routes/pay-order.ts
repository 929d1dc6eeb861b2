/**
 * POST /v1/orders/{id}/pay: approved → payment_pending, an operation and the
 * take-payment job — one transaction — then 202 with Location. `Prefer:
 * wait=N` holds the answer until the payment ends or N seconds pass; a
 * replay with the same Idempotency-Key returns the stored 202.
 */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { requireTenant } from '@steadfast/toolkit/auth';
import { ifMatchAllows, parseIfMatch, preconditionFailed } from '@steadfast/toolkit/concurrency';
import { IDEMPOTENCY_KEY_HEADER } from '@steadfast/toolkit/idempotency';
import { enqueueJob } from '@steadfast/toolkit/jobs';
import { requestTraceparent } from '@steadfast/toolkit/observability';
import {
  createOperation,
  OperationSchema,
  operationResult,
  preferredWaitS,
} from '@steadfast/toolkit/operations';
import { problemResponses } from '@steadfast/toolkit/problems';
import type { FastifyInstance } from 'fastify';
import { findOrder, startPayment } from '../store/orders-store.ts';
import type { OrderRouteDeps } from './deps.ts';
import { operationLocation } from './operation-location.ts';
import { invalidTransition } from './order-actions.ts';
import { orderNotFound } from './read-orders.ts';
import { IfMatchHeader, OrderParams } from './schemas.ts';

export function registerPayOrder(app: FastifyInstance, deps: OrderRouteDeps): void {
  app.withTypeProvider<TypeBoxTypeProvider>().post(
    '/v1/orders/:id/pay',
    {
      config: { idempotency: true },
      schema: {
        summary: 'Pay an approved order (202 + operation; Prefer: wait=N to wait)',
        tags: ['orders'],
        params: OrderParams,
        headers: {
          type: 'object',
          properties: { 'if-match': IfMatchHeader, prefer: { type: 'string' }, ...IDEMPOTENCY_KEY_HEADER },
          required: ['idempotency-key'],
        },
        response: {
          200: OperationSchema,
          202: OperationSchema,
          ...problemResponses(400, 401, 404, 409, 412, 422),
        },
      },
    },
    async (request, reply) => {
      const { tenantId } = requireTenant(request);
      const id = request.params.id;
      const ifMatch = parseIfMatch(request.headers['if-match']);
      const waitS = preferredWaitS(request);
      const now = new Date(deps.clock.now()).toISOString();
      return deps.idempotency.run(
        request,
        reply,
        async (tx) => {
          const started = await startPayment(tx, {
            tenantId,
            id,
            versions: ifMatch && !ifMatch.any ? ifMatch.versions : undefined,
            now,
          });
          if (!started) {
            const current = await findOrder(tx, tenantId, id);
            if (!current) throw orderNotFound(id);
            if (!ifMatchAllows(ifMatch, current.version)) throw preconditionFailed(current.version);
            throw invalidTransition(current, 'pay');
          }
          const op = await createOperation(tx, {
            id: deps.ids.next('op'),
            tenantId,
            kind: 'payment',
            resource: `/v1/orders/${id}`,
            requestId: request.id,
            traceparent: requestTraceparent(request) ?? null,
          });
          await enqueueJob(
            tx,
            'take-payment',
            {
              operationId: op.id,
              orderId: id,
              tenantId,
              n: started.n,
              amount: started.order.totalAmount,
              currency: started.order.currency,
            },
            { key: `take-payment:${op.id}`, traceparent: requestTraceparent(request) ?? null },
          );
          return operationResult(op, { location: operationLocation(op.id) });
        },
        {
          afterCommit: waitS
            ? async (result) => {
                const op = await deps.waiter.wait((result.body as { id: string }).id, tenantId, waitS * 1000);
                return op
                  ? operationResult(op, { location: operationLocation(op.id), waitedS: waitS })
                  : undefined;
              }
            : undefined,
        },
      );
    },
  );
}
