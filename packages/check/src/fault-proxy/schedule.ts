/**
 * The seeded fault schedule: which faults the proxy injects, in which order,
 * with which parameters. Same seed → same schedule (a small PRNG, no
 * Math.random), so a failing run can be repeated with `--seed`.
 */

export type FaultMode =
  | { kind: 'healthy' }
  | { kind: 'latency'; ms: number }
  | { kind: 'hang' }
  | { kind: 'status'; status: 500 | 502 | 503 }
  | { kind: 'rate-limit'; retryAfterS: number }
  | { kind: 'reset' }
  | { kind: 'lost' };

export type FaultKind = FaultMode['kind'];

/** mulberry32: a tiny seeded generator, floats in [0, 1) */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** One fault phase of the run: the mode the proxy is in while the checker drives one request. */
export interface FaultPhase {
  mode: Exclude<FaultMode, { kind: 'healthy' }>;
}

/**
 * Every fault kind once, in a seeded order, with seeded parameters. The outage
 * used for amplification and the breaker is not in this list: it is always a
 * sustained 503 (see checks.ts), so its figures compare across seeds.
 */
export function buildFaultSchedule(seed: number): FaultPhase[] {
  const random = seededRandom(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const phases: FaultPhase[] = [
    { mode: { kind: 'latency', ms: 200 + Math.floor(random() * 600) } },
    { mode: { kind: 'hang' } },
    { mode: { kind: 'status', status: pick([500, 502, 503] as const) } },
    { mode: { kind: 'rate-limit', retryAfterS: 1 + Math.floor(random() * 2) } },
    { mode: { kind: 'reset' } },
    { mode: { kind: 'lost' } },
  ];
  // Fisher-Yates with the same generator
  for (let i = phases.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [phases[i], phases[j]] = [phases[j] as FaultPhase, phases[i] as FaultPhase];
  }
  return phases;
}

export function describeMode(mode: FaultMode): string {
  switch (mode.kind) {
    case 'latency':
      return `latency ${mode.ms} ms`;
    case 'status':
      return `${mode.status} answers`;
    case 'rate-limit':
      return `429 with Retry-After: ${mode.retryAfterS}`;
    case 'lost':
      return 'lost responses (forwarded, answer dropped)';
    case 'reset':
      return 'connection resets';
    default:
      return mode.kind;
  }
}
