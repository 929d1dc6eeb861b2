/**
 * The reconciliation sweep: every payment still open after `pendingAgeS` is
 * looked up at the partner (by reference) and settled through the same path
 * as webhooks — so a webhook that never comes changes nothing. A payment the
 * partner has never heard of, older than `abandonAfterS`, fails (the order
 * goes back to approved; the next pay request uses n + 1). The charge found
 * is verified like any other (settle): one that is not ours is held as a
 * `payment-mismatch` (counted in `mismatched`), found again each sweep but
 * recorded once.
 */
import type { PaymentsAdapter } from '../partners/payments.ts';
import { notePendingCharge, type SettleDeps, settlePayment } from './settle.ts';

export interface SweepResult {
  checked: number;
  corrected: number;
  abandoned: number;
  /** payments whose partner charge is not the one asked for (held, see payment-mismatch) */
  mismatched: number;
}

export async function reconcilePayments(
  deps: SettleDeps & { payments: PaymentsAdapter },
  options: { pendingAgeS: number; abandonAfterS: number; onCorrection?: (outcome: string) => void },
): Promise<SweepResult> {
  const { rows } = await deps.db.query<{
    operation_id: string;
    tenant_id: string;
    order_id: string;
    n: number;
    age_s: number;
  }>(
    `SELECT op.id AS operation_id, o.tenant_id, o.id AS order_id, o.payment_attempts AS n,
            extract(epoch FROM now() - op.created_at)::int AS age_s
     FROM operations op JOIN orders o ON op.resource = '/v1/orders/' || o.id
     WHERE op.kind = 'payment' AND op.status IN ('pending', 'running') AND o.status = 'payment_pending'
       AND op.created_at < now() - make_interval(secs => $1)
     ORDER BY op.id LIMIT 500`,
    [options.pendingAgeS],
  );
  const result: SweepResult = { checked: rows.length, corrected: 0, abandoned: 0, mismatched: 0 };
  for (const row of rows) {
    const ref = { operationId: row.operation_id, orderId: row.order_id, tenantId: row.tenant_id };
    const charge = await deps.payments.lookup(row.order_id, row.n);
    if (charge?.status === 'pending') {
      if ((await notePendingCharge(deps, ref, charge)) === 'mismatch') result.mismatched++;
    } else if (charge) {
      const settled = await settlePayment(deps, ref, { ...charge, status: charge.status });
      if (settled === 'mismatch') result.mismatched++;
      else if (settled !== 'already-settled') {
        result.corrected++;
        options.onCorrection?.(charge.status);
      }
    } else if (row.age_s > options.abandonAfterS) {
      if (
        (await settlePayment(
          deps,
          ref,
          { chargeId: null, status: 'failed', failureCode: 'abandoned' },
          'abandoned',
        )) !== 'already-settled'
      ) {
        result.abandoned++;
        options.onCorrection?.('abandoned');
      }
    }
  }
  return result;
}
