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
