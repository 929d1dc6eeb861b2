/**
 * The fault schedule of a chaos run (pure, seeded): SIGKILLs of random web and
 * worker processes every `killEveryS`, one Postgres restart half-way, partner
 * chaos through the middle of the run and database latency late in it, so
 * the start and the end of the run are fault-free apart from kills.
 */
import { seededRandom } from '@steadfast/sandbox';
import type { ChaosFlags } from './flags.ts';

export type FaultEvent =
  | { atS: number; kind: 'kill'; target: string }
  | { atS: number; kind: 'pg-restart'; mode: 'fast' | 'immediate' }
  | { atS: number; kind: 'partner-chaos'; untilS: number }
  | { atS: number; kind: 'db-latency'; untilS: number; delayMs: number };

const round1 = (n: number) => Math.round(n * 10) / 10;

export function planFaults(flags: ChaosFlags, targets: string[], canRestartPg: boolean): FaultEvent[] {
  const random = seededRandom(flags.seed);
  const d = flags.durationS;
  const events: FaultEvent[] = [];
  if (flags.killEveryS > 0 && targets.length > 0) {
    for (let t = flags.killEveryS; t < d - 5; t += flags.killEveryS) {
      events.push({ atS: t, kind: 'kill', target: targets[Math.floor(random() * targets.length)] });
    }
  }
  if (flags.pgRestart !== 'none' && canRestartPg) {
    // half-way between two kills: a restart and a kill at once would blur both recoveries
    const k = flags.killEveryS;
    const atS = k > 0 ? Math.floor(d / 2 / k) * k + k / 2 : d / 2;
    events.push({ atS: round1(atS), kind: 'pg-restart', mode: flags.pgRestart });
  }
  const partnerOn =
    flags.partner5xx > 0 ||
    flags.partnerLost > 0 ||
    flags.partnerLatencyMs > 0 ||
    flags.webhookDuplicate > 0 ||
    flags.webhookDrop > 0;
  if (partnerOn) events.push({ atS: round1(d * 0.15), kind: 'partner-chaos', untilS: round1(d * 0.65) });
  if (flags.dbLatencyMs > 0)
    events.push({
      atS: round1(d * 0.7),
      kind: 'db-latency',
      untilS: round1(d * 0.85),
      delayMs: flags.dbLatencyMs,
    });
  return events.sort((a, b) => a.atS - b.atS);
}

/** The payments partner's chaos config for the partner-chaos window (docs/sandbox.md). */
export function partnerChaosConfig(flags: ChaosFlags) {
  const charges = { method: 'POST', path: '/payments/v1/charges' };
  const rules: Record<string, unknown>[] = [];
  if (flags.partnerLatencyMs > 0)
    rules.push({
      match: charges,
      fault: 'latency',
      latencyMs: flags.partnerLatencyMs,
      jitterMs: flags.partnerLatencyMs / 2,
    });
  if (flags.partnerLost > 0)
    rules.push({ match: charges, fault: 'lost-response', probability: flags.partnerLost });
  if (flags.partner5xx > 0)
    rules.push({
      match: { path: '/payments/v1/*' },
      fault: 'error',
      status: 503,
      probability: flags.partner5xx,
    });
  return {
    seed: flags.seed,
    rules,
    webhooks: {
      duplicateProbability: flags.webhookDuplicate,
      dropProbability: flags.webhookDrop,
      reorder: true,
      delayMs: [0, 1000],
    },
    settlement: { pendingProbability: 0.5, settleAfterMs: [100, 2000] },
  };
}
