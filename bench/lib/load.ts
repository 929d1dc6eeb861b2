/**
 * Drive an HTTP target with autocannon in a child process (so the load
 * generator does not share the server's event loop) and return its summary.
 */
import path from 'node:path';
import { runJsonChild } from './json-child.ts';

/** the part of autocannon's result this reads */
interface AutocannonSummary {
  requests: { average: number; total: number };
  latency: { p50: number; p99: number };
  non2xx: number;
  errors: number;
}

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
  const args = {
    url: options.url,
    method: options.method ?? 'GET',
    headers: options.headers ?? {},
    body: options.body,
    connections: options.connections ?? 50,
    duration: options.durationS ?? 10,
    uniqueKey: options.uniqueIdempotencyKey ?? false,
    webhookSecret: options.webhookSecret,
    overallRate: options.overallRate,
  };
  return runJsonChild<AutocannonSummary>(CHILD, args, 'autocannon').then((r) => ({
    requestsPerSecond: r.requests.average,
    p50Ms: r.latency.p50,
    p99Ms: r.latency.p99,
    non2xx: r.non2xx,
    errors: r.errors,
    total: r.requests.total,
  }));
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
