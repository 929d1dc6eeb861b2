/**
 * Drive an HTTP target with autocannon in a child process (so the load
 * generator does not share the server's event loop) and return its summary.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';

export interface LoadOptions {
  url: string;
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  connections?: number;
  durationS?: number;
  /** send a fresh Idempotency-Key with every request */
  uniqueIdempotencyKey?: boolean;
  /** send a freshly signed Standard Webhooks delivery with every request */
  webhookSecret?: string;
  /** requests per second in all (constant-rate load) */
  overallRate?: number;
}

export interface LoadResult {
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  non2xx: number;
  errors: number;
  total: number;
}

const CHILD = path.join(import.meta.dirname, 'autocannon-child.ts');

export function load(options: LoadOptions): Promise<LoadResult> {
  const args = JSON.stringify({
    url: options.url,
    method: options.method ?? 'GET',
    headers: options.headers ?? {},
    body: options.body,
    connections: options.connections ?? 50,
    duration: options.durationS ?? 10,
    uniqueKey: options.uniqueIdempotencyKey ?? false,
    webhookSecret: options.webhookSecret,
    overallRate: options.overallRate,
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
    child.on('exit', (code) => {
      if (code !== 0 || !out) return reject(new Error(`autocannon failed (${code}): ${err}`));
      const r = JSON.parse(out);
      resolve({
        requestsPerSecond: r.requests.average,
        p50Ms: r.latency.p50,
        p99Ms: r.latency.p99,
        non2xx: r.non2xx,
        errors: r.errors,
        total: r.requests.total,
      });
    });
  });
}

/** Several runs of the same target as one: mean throughput, worst latencies, summed errors. */
export function combine(runs: LoadResult[]): LoadResult {
  const sum = (f: (r: LoadResult) => number) => runs.reduce((a, r) => a + f(r), 0);
  return {
    requestsPerSecond: sum((r) => r.requestsPerSecond) / runs.length,
    p50Ms: Math.max(...runs.map((r) => r.p50Ms)),
    p99Ms: Math.max(...runs.map((r) => r.p99Ms)),
    non2xx: sum((r) => r.non2xx),
    errors: sum((r) => r.errors),
    total: sum((r) => r.total),
  };
}
