/**
 * @steadfast/toolkit/faults: named fault points, designed into the code paths
 * that must survive a crash. Each block declares the points it has (the
 * idempotency engine: `after-claim-before-commit`) and an app adds its own;
 * tests arm one through configuration (e.g. an env var holding
 * `name[:action],...`). When the code reaches an armed point the action runs:
 * `kill` (the default) SIGKILLs the process on the spot, `throw` throws.
 * Unarmed points cost one Map lookup.
 */

export type FaultAction = 'kill' | 'throw';

/** a fault point's name, e.g. `after-claim-before-commit` */
export type FaultPoint = string;

export interface FaultPoints {
  hit(point: FaultPoint): void;
  armed(point: FaultPoint): boolean;
}

export class FaultInjected extends Error {
  override name = 'FaultInjected';
}

/** Parse `name[:action],...` against the points that exist; throws on an unknown point or action. */
export function parseFaultSpec(
  spec: string | undefined,
  known: readonly FaultPoint[],
): Map<FaultPoint, FaultAction> {
  const armed = new Map<FaultPoint, FaultAction>();
  for (const part of (spec ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const [name, action = 'kill', ...extra] = part.split(':');
    if (extra.length) throw new Error(`fault "${part}" must be name or name:action`);
    if (armed.has(name)) throw new Error(`fault point "${name}" is armed twice`);
    if (!known.includes(name))
      throw new Error(`unknown fault point "${name}" (known: ${known.join(', ') || 'none'})`);
    if (action !== 'kill' && action !== 'throw') throw new Error(`unknown fault action "${action}"`);
    armed.set(name as FaultPoint, action);
  }
  return armed;
}

export function createFaultPoints(
  armed: Map<FaultPoint, FaultAction> = new Map(),
  kill: () => void = () => process.kill(process.pid, 'SIGKILL'),
): FaultPoints {
  return {
    armed: (point) => armed.has(point),
    hit(point) {
      const action = armed.get(point);
      if (action === 'kill') kill();
      if (action === 'throw') throw new FaultInjected(`fault point ${point}`);
    },
  };
}

export const noFaults: FaultPoints = createFaultPoints();
