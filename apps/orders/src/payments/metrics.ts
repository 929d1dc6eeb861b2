/** The payments flow's own metrics (one per registry, shared when web and worker run in one process). */
import { registerOnce } from '@steadfast/toolkit/observability';
import { Counter, type Registry } from 'prom-client';

const CORRECTIONS = 'steadfast_reconciliation_corrections_total';

export function reconciliationCorrections(registry: Registry): Counter<'outcome'> {
  return registerOnce(
    registry,
    CORRECTIONS,
    () =>
      new Counter({
        name: CORRECTIONS,
        help: 'Payment states the reconciliation sweep corrected',
        labelNames: ['outcome'] as const,
        registers: [registry],
      }),
  );
}

const MISMATCHES = 'steadfast_payment_mismatches_total';

/** Partner charges that did not match the payment we asked for, one count per differing field of each new mismatch. */
export function paymentMismatches(registry: Registry): Counter<'field'> {
  return registerOnce(
    registry,
    MISMATCHES,
    () =>
      new Counter({
        name: MISMATCHES,
        help: 'Partner charges that did not match the payment (by field: amount, currency, reference, chargeId)',
        labelNames: ['field'] as const,
        registers: [registry],
      }),
  );
}
