/** The benchmark result line: `{ name, value, baseline, ratio, unit, target, ... }`. */
import os from 'node:os';

export interface BenchResult {
  name: string;
  value: number;
  baseline: number;
  ratio: number;
  unit: string;
  target: string;
  [extra: string]: unknown;
}

export function machine(): string {
  return `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, node ${process.version}`;
}

export function report(result: BenchResult): void {
  process.stdout.write(`${JSON.stringify({ ...result, machine: machine() })}\n`);
}

export function round(n: number, digits = 3): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

/** the middle value (the mean of the two middle ones for an even count) */
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}
