/**
 * Apply a payment's known outcome: order, operation and outbox event in one
 * transaction, forward only and idempotent — the worker and (later) the
 * webhook path and the reconciliation sweep share it.
 */
import type { IdGenerator } from '@steadfast/toolkit/ids';
import { updateOperation } from '@steadfast/toolkit/operations';
import { writeOutboxEvent } from '@steadfast/toolkit/outbox';
import { type Pool, withTransaction } from '@steadfast/toolkit/postgres';
import { buildProblem, type ProblemRegistry } from '@steadfast/toolkit/problems';
import type { ChargeOutcome } from '../partners/payments.ts';
import { finishPayment } from '../store/orders-store.ts';

export interface PaymentRef {
  operationId: string;
  orderId: string;
  tenantId: string;
}

export type SettleResult = 'paid' | 'declined' | 'already-settled';

export async function settlePayment(
  deps: { db: Pool; ids: IdGenerator; registry: ProblemRegistry },
  ref: PaymentRef,
  outcome: ChargeOutcome & { status: 'succeeded' | 'failed' },
  /** 'abandoned': the partner never received it and it is too old — a dependency failure, not a decline */
  how: 'charge' | 'abandoned' = 'charge',
): Promise<SettleResult> {
  return withTransaction(deps.db, async (tx) => {
    const paid = outcome.status === 'succeeded';
    const error = paid ? undefined : { code: outcome.failureCode ?? 'declined', chargeId: outcome.chargeId };
    const order = await finishPayment(tx, { tenantId: ref.tenantId, id: ref.orderId, paid, error });
    if (!order) return 'already-settled';
    const problem = paid
      ? undefined
      : buildProblem(deps.registry, {
          slug: how === 'abandoned' ? 'dependency-unavailable' : 'payment-declined',
          detail:
            how === 'abandoned'
              ? 'The payment partner has no record of this payment and it is too old to wait for; the order is back in approved.'
              : `The payment partner declined the charge (${error?.code}).`,
          instance: `/v1/operations/${ref.operationId}`,
          requestId: ref.operationId,
          extensions: how === 'abandoned' ? { dependency: 'payments' } : { failureCode: error?.code },
        });
    await updateOperation(tx, ref.operationId, {
      status: paid ? 'succeeded' : 'failed',
      result: paid ? { orderId: ref.orderId, chargeId: outcome.chargeId } : undefined,
      error: problem,
    });
    await writeOutboxEvent(tx, {
      id: deps.ids.next('evt'),
      tenantId: ref.tenantId,
      type: paid ? 'order.paid' : 'order.payment_failed',
      payload: { orderId: ref.orderId, chargeId: outcome.chargeId, ...(error ? { error } : {}) },
    });
    return paid ? 'paid' : 'declined';
  });
}
