/**
 * The operator's way out of a held payment: discarding a `payment-mismatch`
 * dead letter gives up on that pay request. If the order is still
 * payment_pending at the same attempt, the operation fails with
 * `payment-mismatch`, the order goes back to `approved` with
 * `lastPaymentError { type, code: 'payment_mismatch', chargeId }` and an
 * `order.payment_failed` event is written — all in the discard's transaction.
 * The next pay request is a new attempt (n + 1, a new outbound key). Whatever
 * the partner holds for the old attempt stays there: the runbook says to
 * refund or void it first (docs/payments.md).
 */

import type { IdGenerator } from '@steadfast/toolkit/ids';
import type { DeadLetter } from '@steadfast/toolkit/jobs';
import type { Queryable } from '@steadfast/toolkit/postgres';
import type { ProblemRegistry } from '@steadfast/toolkit/problems';
import { lockPayment } from '../store/orders-store.ts';
import { applyOutcome } from './settle.ts';

/** A dead letter recorded by verify-charge.ts for a charge that did not match. */
export function isHeldPayment(letter: DeadLetter): boolean {
  return letter.task === 'take-payment' && letter.errorCategory === 'payment-mismatch';
}

export function createGiveUp(deps: { ids: IdGenerator; registry: ProblemRegistry }) {
  return async function giveUpHeldPayment(
    tx: Queryable,
    letter: DeadLetter,
    reason: string,
  ): Promise<'given-up' | 'already-settled'> {
    const { operationId, orderId, tenantId, n, mismatchedChargeId } = letter.payload;
    if (typeof operationId !== 'string' || typeof orderId !== 'string' || typeof tenantId !== 'string')
      return 'already-settled'; // not a payload verify-charge wrote: nothing to give up
    const locked = await lockPayment(tx, { tenantId, id: orderId });
    if (locked?.status !== 'payment_pending' || locked.n !== n) return 'already-settled';
    const settled = await applyOutcome(
      tx,
      deps,
      { operationId, orderId, tenantId },
      {
        chargeId: typeof mismatchedChargeId === 'string' ? mismatchedChargeId : null,
        status: 'failed',
        failureCode: 'payment_mismatch',
      },
      { givenUp: { reason } },
    );
    return settled === 'already-settled' ? settled : 'given-up';
  };
}
