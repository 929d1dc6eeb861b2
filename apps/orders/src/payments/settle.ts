/**
 * Apply a payment's known outcome: order, operation and outbox event in one
 * transaction, forward only and idempotent — the worker, the webhook path and
 * the reconciliation sweep share it. A failure names its cause honestly: a
 * decline (`payment-declined`), a refusal of the request by the partner
 * (`payment-rejected`), or a payment the partner never got (`dependency-unavailable`).
 */
import type { IdGenerator } from '@steadfast/toolkit/ids';
import { updateOperation } from '@steadfast/toolkit/operations';
import { writeOutboxEvent } from '@steadfast/toolkit/outbox';
import { type Pool, withTransaction } from '@steadfast/toolkit/postgres';
import { buildProblem, type ProblemRegistry } from '@steadfast/toolkit/problems';
import { finishPayment } from '../store/orders-store.ts';

export interface PaymentRef {
  operationId: string;
  orderId: string;
  tenantId: string;
}

export interface SettleOutcome {
  /** null when there is no charge at the partner (rejected, abandoned) */
  chargeId: string | null;
  status: 'succeeded' | 'failed';
  failureCode?: string;
}

/**
 * Why a failed payment failed: 'charge' — the partner declined the charge;
 * 'abandoned' — the partner never received it and it is too old to wait for;
 * `{ rejected }` — the partner refused the request itself (4xx), nothing was charged.
 */
export type SettleHow =
  | 'charge'
  | 'abandoned'
  | { rejected: { partnerStatus: number; partnerCode: string | null } };

export type SettleResult = 'paid' | 'declined' | 'rejected' | 'already-settled';

interface Failure {
  slug: string;
  detail: string;
  extensions: Record<string, unknown>;
  code: string;
  result: 'declined' | 'rejected';
}

function describeFailure(outcome: SettleOutcome, how: SettleHow): Failure {
  if (how === 'abandoned') {
    return {
      slug: 'dependency-unavailable',
      detail:
        'The payment partner has no record of this payment and it is too old to wait for; the order is back in approved.',
      extensions: { dependency: 'payments' },
      code: outcome.failureCode ?? 'abandoned',
      result: 'declined',
    };
  }
  if (how !== 'charge') {
    const { partnerStatus, partnerCode } = how.rejected;
    return {
      slug: 'payment-rejected',
      detail: `The payment partner refused the charge request (${partnerStatus}${partnerCode ? ` ${partnerCode}` : ''}); nothing was charged and the order is back in approved.`,
      extensions: { dependency: 'payments', partnerStatus, partnerCode },
      code: 'rejected_by_partner',
      result: 'rejected',
    };
  }
  const code = outcome.failureCode ?? 'declined';
  return {
    slug: 'payment-declined',
    detail: `The payment partner declined the charge (${code}).`,
    extensions: { failureCode: code },
    code,
    result: 'declined',
  };
}

export async function settlePayment(
  deps: { db: Pool; ids: IdGenerator; registry: ProblemRegistry },
  ref: PaymentRef,
  outcome: SettleOutcome,
  how: SettleHow = 'charge',
): Promise<SettleResult> {
  return withTransaction(deps.db, async (tx) => {
    const paid = outcome.status === 'succeeded';
    const failure = paid ? undefined : describeFailure(outcome, how);
    const chargeId = outcome.chargeId || null; // never "": no charge is null
    const error = failure && {
      type: `/problems/${failure.slug}`,
      code: failure.code,
      chargeId,
      ...(how !== 'charge' && how !== 'abandoned' ? how.rejected : {}),
    };
    const order = await finishPayment(tx, { tenantId: ref.tenantId, id: ref.orderId, paid, error });
    if (!order) return 'already-settled';
    const problem =
      failure &&
      buildProblem(deps.registry, {
        slug: failure.slug,
        detail: failure.detail,
        instance: `/v1/operations/${ref.operationId}`,
        requestId: ref.operationId,
        extensions: failure.extensions,
      });
    await updateOperation(tx, ref.operationId, {
      status: paid ? 'succeeded' : 'failed',
      result: paid ? { orderId: ref.orderId, chargeId } : undefined,
      error: problem,
    });
    await writeOutboxEvent(tx, {
      id: deps.ids.next('evt'),
      tenantId: ref.tenantId,
      type: paid ? 'order.paid' : 'order.payment_failed',
      payload: { orderId: ref.orderId, chargeId, ...(error ? { error } : {}) },
    });
    return paid ? 'paid' : (failure?.result ?? 'declined');
  });
}
