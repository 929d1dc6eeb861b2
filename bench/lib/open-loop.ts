/** Open-loop load in a child process (see open-loop-child.ts): offered load does not bend to the server. */
import { spawn } from 'node:child_process';
import path from 'node:path';

export interface OpenLoopOptions {
  url: string;
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string;
  ratePerS: number;
  durationS: number;
  connections?: number;
  uniqueIdempotencyKey?: boolean;
  maxOutstanding?: number;
}

export interface StatusFigures {
  count: number;
  p50Ms: number;
  p99Ms: number;
}

/** `statuses` has one entry per status code, and `2xx` for every success together */
export interface OpenLoopResult {
  elapsedS: number;
  sent: number;
  dropped: number;
  errors: number;
  statuses: Record<string, StatusFigures>;
}

const CHILD = path.join(import.meta.dirname, 'open-loop-child.ts');

export function openLoop(options: OpenLoopOptions): Promise<OpenLoopResult> {
  const target = new URL(options.url);
  const args = JSON.stringify({
    origin: target.origin,
    path: target.pathname + target.search,
    method: options.method ?? 'GET',
    headers: options.headers ?? {},
    body: options.body,
    ratePerS: options.ratePerS,
    durationS: options.durationS,
    connections: options.connections ?? 256,
    uniqueKey: options.uniqueIdempotencyKey ?? false,
    maxOutstanding: options.maxOutstanding ?? 4096,
  });
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CHILD, args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (c) => {
      out += c;
    });
    child.stderr.on('data', (c) => {
      err += c;
    });
    child.on('close', (code) => {
      if (code !== 0 || !out) return reject(new Error(`open-loop load failed (${code}): ${err}`));
      resolve(JSON.parse(out) as OpenLoopResult);
    });
  });
}

/** requests answered with a 2xx status, per second of the run */
export function goodput(result: OpenLoopResult): number {
  return (result.statuses['2xx']?.count ?? 0) / result.elapsedS;
}
