/**
 * Errors of background work nobody awaits — a lease renewal, a heartbeat, a
 * dispatcher's batch, a scheduler tick — are never dropped: each is logged
 * with its component and counted in `steadfast_background_errors_total`, so a
 * dashboard shows a heartbeat failing long before jobs pile up.
 */
import { Counter, type Registry } from 'prom-client';
import type { Logger } from './logger.ts';
import { registerOnce } from './register-once.ts';

export interface BackgroundErrors {
  /** log at warn with `component` and count it; never throws */
  report(component: string, error: unknown, context?: Record<string, unknown>): void;
}

export interface BackgroundErrorsOptions {
  log: Logger;
  /** where the counter lives; without one, errors are only logged */
  registry?: Registry;
}

const METRIC = 'steadfast_background_errors_total';

export function createBackgroundErrors(options: BackgroundErrorsOptions): BackgroundErrors {
  const { log, registry } = options;
  const counter = registry
    ? registerOnce(
        registry,
        METRIC,
        () =>
          new Counter({
            name: METRIC,
            help: 'Failures of background work (lease renewals, heartbeats, dispatch batches, schedulers) by component',
            labelNames: ['component'] as const,
            registers: [registry],
          }),
      )
    : undefined;
  return {
    report(component, error, context = {}) {
      counter?.inc({ component });
      log.warn({ ...context, component, err: error }, `${component} failed`);
    },
  };
}
