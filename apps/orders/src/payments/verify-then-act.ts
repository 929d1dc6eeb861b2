/**
 * Payment webhooks are hints. For each inbox row: ask the partner what is
 * true about the charge (GET /v1/charges/{id}), find the order from the
 * partner's reference — never from the payload — and apply only forward
 * transitions through the same settle path the pay worker uses, which first
 * verifies the charge (amount, currency, reference, recorded charge id) and
 * holds one that is not ours as a `payment-mismatch`. Unknown charges, orders
 * or stale attempts are `ignored` with a reason — not an error loop.
 */
import type { HandlerOutcome, InboxRow } from '@steadfast/toolkit/webhooks';
import { type PaymentsAdapter, parsePaymentKey } from '../partners/payments.ts';
import { notePendingCharge, type SettleDeps, type SettleResult, settlePayment } from './settle.ts';

/** What the delivery said the charge was, to name a disagreement with the partner in the reason. */
function claimedReference(row: InboxRow): string | undefined {
  const reference = (row.payload?.data as { charge?: { reference?: unknown } } | undefined)?.charge
    ?.reference;
  return typeof reference === 'string' ? reference.slice(0, 200) : undefined;
}

function reasonOf(result: SettleResult | 'pending'): string {
  if (result === 'already-settled') return 'already settled';
  if (result === 'pending') return 'still pending at the partner';
  if (result === 'mismatch')
    return 'payment-mismatch: the charge is not the one this payment asked for; the order stays payment_pending (see the dead letter)';
  return `settled: ${result}`;
}

export function paymentWebhookHandler(deps: SettleDeps & { payments: PaymentsAdapter }) {
  return async (row: InboxRow): Promise<HandlerOutcome> => {
    const chargeId = (row.payload?.data as { charge?: { id?: unknown } } | undefined)?.charge?.id;
    if (typeof chargeId !== 'string') return { status: 'ignored', reason: 'no charge id in the event' };
    const charge = await deps.payments.getCharge(chargeId); // the partner, not the payload, is the truth
    if (!charge) return { status: 'ignored', reason: `the partner does not know charge ${chargeId}` };
    const claimed = claimedReference(row);
    const note =
      claimed !== undefined && claimed !== charge.reference
        ? ` (the event named ${claimed}; the partner's charge names ${charge.reference})`
        : '';
    const key = parsePaymentKey(charge.reference);
    if (!key) return { status: 'ignored', reason: `charge ${chargeId} is not one of ours${note}` };
    const { rows } = await deps.db.query<{
      tenant_id: string;
      payment_attempts: number;
      operation_id: string | null;
    }>(
      `SELECT o.tenant_id, o.payment_attempts,
         (SELECT id FROM operations WHERE kind = 'payment' AND resource = '/v1/orders/' || o.id ORDER BY id DESC LIMIT 1) AS operation_id
       FROM orders o WHERE o.id = $1`,
      [key.orderId],
    );
    const order = rows[0];
    if (!order?.operation_id)
      return { status: 'ignored', reason: `no payment for order ${key.orderId}${note}` };
    if (order.payment_attempts !== key.n)
      return {
        status: 'ignored',
        reason: `charge of pay request ${key.n}; the order is at ${order.payment_attempts}${note}`,
      };
    const ref = { operationId: order.operation_id, orderId: key.orderId, tenantId: order.tenant_id };
    const result =
      charge.status === 'pending'
        ? await notePendingCharge(deps, ref, charge)
        : await settlePayment(deps, ref, { ...charge, status: charge.status });
    return { status: 'processed', reason: `${reasonOf(result)}${note}` };
  };
}
