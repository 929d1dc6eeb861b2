/**
 * One partner's chaos: its config, a seeded random stream, per-rule remaining
 * counts and counters. Decisions depend only on the seed and the sequence of
 * requests, so the same run fails the same way twice.
 */
import type { ChaosConfig, ChaosRule, FaultKind } from './config.ts';
import { type Random, seededRandom } from './random.ts';

export interface Decision {
  latencyMs: number;
  /** the terminal fault to apply, if any */
  fault: ChaosRule | undefined;
}

export interface ChaosState {
  config(): ChaosConfig;
  set(config: ChaosConfig): void;
  clear(): void;
  decide(method: string, path: string): Decision;
  /** the random stream for webhook and settlement decisions (separate from request faults) */
  eventRandom(): Random;
  counters(): { requestsSeen: number; faultsInjected: Record<string, number> };
  countFault(kind: FaultKind | string): void;
}

function globToRegex(glob: string): RegExp {
  return new RegExp(
    `^${glob
      .split('*')
      .map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')}$`,
  );
}

export function createChaosState(): ChaosState {
  let config: ChaosConfig = {};
  let random = seededRandom(0);
  let events = seededRandom(1);
  let remaining: (number | undefined)[] = [];
  let patterns: (RegExp | undefined)[] = [];
  let requestsSeen = 0;
  let faults: Record<string, number> = {};

  const reset = (next: ChaosConfig) => {
    config = next;
    const seed = next.seed ?? 0;
    random = seededRandom(seed);
    events = seededRandom(seed ^ 0x5eed);
    remaining = (next.rules ?? []).map((r) => r.count);
    patterns = (next.rules ?? []).map((r) => (r.match?.path ? globToRegex(r.match.path) : undefined));
    requestsSeen = 0;
    faults = {};
  };

  return {
    config: () => config,
    set: reset,
    clear: () => reset({}),
    eventRandom: () => events,
    counters: () => ({ requestsSeen, faultsInjected: { ...faults } }),
    countFault(kind) {
      faults[kind] = (faults[kind] ?? 0) + 1;
    },
    decide(method, path) {
      requestsSeen++;
      let latencyMs = 0;
      const rules = config.rules ?? [];
      for (let i = 0; i < rules.length; i++) {
        const rule = rules[i];
        if (rule.match?.method && rule.match.method !== method) continue;
        if (patterns[i] && !patterns[i]?.test(path)) continue;
        if (remaining[i] !== undefined) {
          if ((remaining[i] as number) <= 0) continue;
          remaining[i] = (remaining[i] as number) - 1;
        }
        if (random() >= (rule.probability ?? 1)) continue;
        if (rule.fault === 'latency') {
          latencyMs += (rule.latencyMs ?? 0) + Math.floor(random() * ((rule.jitterMs ?? 0) + 1));
          faults.latency = (faults.latency ?? 0) + 1;
          continue;
        }
        faults[rule.fault] = (faults[rule.fault] ?? 0) + 1;
        return { latencyMs, fault: rule };
      }
      return { latencyMs, fault: undefined };
    },
  };
}
