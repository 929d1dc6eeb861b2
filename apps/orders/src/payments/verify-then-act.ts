/**
 * Payment webhooks are hints. For each inbox row: ask the partner what is
 * true about the charge, and apply only forward transitions through the same
 * settle path the pay worker uses. Unknown charges, orders or stale attempts
 * are `ignored` with a reason — not an error loop.
 */
import type { IdGenerator } from '@steadfast/toolkit/ids';
import type { Pool } from '@steadfast/toolkit/postgres';
import type { ProblemRegistry } from '@steadfast/toolkit/problems';
import type { HandlerOutcome, InboxRow } from '@steadfast/toolkit/webhooks';
import { type PaymentsAdapter, parsePaymentKey } from '../partners/payments.ts';
import { settlePayment } from './settle.ts';

export function paymentWebhookHandler(deps: {
  db: Pool;
  ids: IdGenerator;
  registry: ProblemRegistry;
  payments: PaymentsAdapter;
}) {
  return async (row: InboxRow): Promise<HandlerOutcome> => {
    const chargeId = (row.payload?.data as { charge?: { id?: unknown } } | undefined)?.charge?.id;
    if (typeof chargeId !== 'string') return { status: 'ignored', reason: 'no charge id in the event' };
    const charge = await deps.payments.getCharge(chargeId); // the partner, not the payload, is the truth
    if (!charge) return { status: 'ignored', reason: `the partner does not know charge ${chargeId}` };
    const key = parsePaymentKey(charge.reference);
    if (!key) return { status: 'ignored', reason: `charge ${chargeId} is not one of ours` };
    const { rows } = await deps.db.query<{
      tenant_id: string;
      status: string;
      payment_attempts: number;
      operation_id: string | null;
    }>(
      `SELECT o.tenant_id, o.status, o.payment_attempts,
         (SELECT id FROM operations WHERE kind = 'payment' AND resource = '/v1/orders/' || o.id ORDER BY id DESC LIMIT 1) AS operation_id
       FROM orders o WHERE o.id = $1`,
      [key.orderId],
    );
    const order = rows[0];
    if (!order?.operation_id) return { status: 'ignored', reason: `no payment for order ${key.orderId}` };
    if (order.payment_attempts !== key.n)
      return {
        status: 'ignored',
        reason: `charge of pay request ${key.n}; the order is at ${order.payment_attempts}`,
      };
    if (charge.status === 'pending') return { status: 'processed', reason: 'still pending at the partner' };
    const result = await settlePayment(
      deps,
      { operationId: order.operation_id, orderId: key.orderId, tenantId: order.tenant_id },
      { ...charge, status: charge.status },
    );
    return {
      status: 'processed',
      reason: result === 'already-settled' ? 'already settled' : `settled: ${result}`,
    };
  };
}
