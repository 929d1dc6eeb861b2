/**
 * steadfast/faults: named fault points, designed into the code paths that
 * must survive a crash (e.g. `after-claim-before-commit`). Tests arm one
 * through configuration (`STEADFAST_FAULTS=name[:action],...`); when the code
 * reaches it, the action runs: `kill` (the default) SIGKILLs the process on
 * the spot, `throw` throws. Unarmed points cost one Set lookup.
 */

export type FaultAction = 'kill' | 'throw';

export const FAULT_POINTS = [
  'after-claim-before-commit',
  'after-charge-before-commit',
  'after-commit-before-ack',
] as const;
export type FaultPoint = (typeof FAULT_POINTS)[number];

export interface FaultPoints {
  hit(point: FaultPoint): void;
  armed(point: FaultPoint): boolean;
}

export class FaultInjected extends Error {
  override name = 'FaultInjected';
}

/** Parse `name[:action],...`; throws on an unknown point or action. */
export function parseFaultSpec(spec: string | undefined): Map<FaultPoint, FaultAction> {
  const armed = new Map<FaultPoint, FaultAction>();
  for (const part of (spec ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const [name, action = 'kill'] = part.split(':');
    if (!(FAULT_POINTS as readonly string[]).includes(name)) throw new Error(`unknown fault point "${name}"`);
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
