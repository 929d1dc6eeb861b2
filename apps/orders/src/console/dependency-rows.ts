/**
 * The dependencies page's rows: the deployment's per-minute history (every
 * instance writes its own; readEgressHistory sums them), joined with this
 * instance's clients for their criticality — and for their live state when
 * no instance has written about a partner yet (a fresh start).
 */
import { readEgressHistory } from '@steadfast/toolkit/egress-history';
import type { Queryable } from '@steadfast/toolkit/postgres';
import type { DependencyClient } from '@steadfast/toolkit/resilience';
import type { DependencyRow } from './page-dependencies.ts';

export function createDependencyRows(deps: {
  db: Queryable;
  clients: readonly DependencyClient[];
  instanceId: string;
  /** an instance silent for longer is stale (three of its write intervals) */
  staleAfterMs: number;
}): (now: number) => Promise<DependencyRow[]> {
  return async (now) => {
    const view = await readEgressHistory(deps.db, { now, minutes: 60, staleAfterMs: deps.staleAfterMs });
    const byName = new Map(view.dependencies.map((d) => [d.dependency, d]));
    const names = [...new Set([...deps.clients.map((c) => c.name), ...byName.keys()])].sort();
    return names.map((name) => {
      const history = byName.get(name);
      const client = deps.clients.find((c) => c.name === name);
      const instances = history?.instances ?? [];
      const live = client?.status();
      return {
        dependency: name,
        criticality: client?.criticality,
        minutes: history?.minutes ?? [],
        lastHour: history?.totals ?? {},
        attemptsPerSecond: history?.attemptsPerSecond ?? 0,
        p50Ms: history?.p50Ms ?? null,
        p99Ms: history?.p99Ms ?? null,
        instances:
          instances.some((i) => i.fresh) || !live
            ? instances
            : [
                ...instances,
                {
                  instanceId: `${deps.instanceId} (live)`,
                  breaker: live.breaker,
                  budgetRemaining: live.budgetRemaining,
                  updatedAt: new Date(now).toISOString(),
                  fresh: true,
                },
              ],
        lastErrors: history?.lastErrors ?? [],
      };
    });
  };
}
