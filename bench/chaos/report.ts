/**
 * The chaos report's arithmetic (pure): latency percentiles during and outside
 * fault windows, the recovery time after each fault, orders whose state
 * differs from the partner's ledger, and the verdict.
 */
import { chargesPerOrder } from '../../apps/orders/src/runtime/db-drill.ts';
import type { Attempt } from './client.ts';

export interface FaultWindow {
  kind: 'kill' | 'pg-restart' | 'partner-chaos' | 'db-latency';
  detail: string;
  /** performance.now() times; a kill's window lasts until its replacement is ready */
  startAt: number;
  endAt: number;
  /** when the fault itself ended (a kill: at once; a restart: pg_ctl returned); recovery counts from here */
  clearedAt: number;
}

export function percentile(values: number[], p: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index];
}

function overlaps(a: Attempt, w: FaultWindow): boolean {
  return a.startedAt <= w.endAt && a.endedAt >= w.startAt;
}

/** p50/p99 (ms) of the attempts that overlap a fault window, and of the rest. */
export function latencySplit(attempts: Attempt[], windows: FaultWindow[]) {
  const during: number[] = [];
  const outside: number[] = [];
  for (const a of attempts)
    (windows.some((w) => overlaps(a, w)) ? during : outside).push(a.endedAt - a.startedAt);
  const round = (n: number | null) => (n === null ? null : Math.round(n));
  return {
    during: { n: during.length, p50Ms: round(percentile(during, 50)), p99Ms: round(percentile(during, 99)) },
    outside: {
      n: outside.length,
      p50Ms: round(percentile(outside, 50)),
      p99Ms: round(percentile(outside, 99)),
    },
  };
}

/**
 * Seconds from the fault's end until `streak` answers in a row (in completion
 * order, of attempts started after it) were 2xx; null when that never happened.
 */
export function recoveryS(attempts: Attempt[], clearedAt: number, streak = 5): number | null {
  const after = attempts.filter((a) => a.startedAt >= clearedAt).sort((a, b) => a.endedAt - b.endedAt);
  let run = 0;
  for (const a of after) {
    run = a.status >= 200 && a.status < 300 ? run + 1 : 0;
    if (run >= streak) return Math.round(a.endedAt - clearedAt) / 1000;
  }
  return null;
}

export interface Mismatch {
  orderId: string;
  status: string;
  charges: number;
}

/**
 * Orders whose state the partner's ledger contradicts: paid without a
 * successful charge, charged but not paid, or still waiting for the answer
 * (payment_pending after quiescence). Orders never paid have no charge.
 */
export function ledgerMismatches(
  orders: { id: string; status: string }[],
  ledger: { reference: string; status: string }[],
): Mismatch[] {
  const perOrder = chargesPerOrder(ledger);
  const out: Mismatch[] = [];
  for (const order of orders) {
    const charges = perOrder.get(order.id) ?? 0;
    const paid = order.status === 'paid';
    if (order.status === 'payment_pending' || paid !== charges > 0)
      out.push({ orderId: order.id, status: order.status, charges });
  }
  return out;
}

export interface Verdict {
  lost: number;
  doubleCharges: number;
  mismatched: number;
}

/** exit status: 1 when anything was lost, charged twice or left contradicting the ledger */
export function exitCode(v: Verdict): 0 | 1 {
  return v.lost > 0 || v.doubleCharges > 0 || v.mismatched > 0 ? 1 : 0;
}

/** The human table: one `label  value` row each. */
export function table(rows: [string, string | number | null][]): string {
  const width = Math.max(...rows.map(([label]) => label.length));
  return rows.map(([label, value]) => `${label.padEnd(width)}  ${value ?? '-'}`).join('\n');
}
