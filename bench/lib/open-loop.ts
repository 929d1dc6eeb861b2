/** Open-loop load in a child process (see open-loop-child.ts): offered load does not bend to the server. */
import path from 'node:path';
import { runJsonChild } from './json-child.ts';

export interface OpenLoopOptions {
  url: string;
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string;
  ratePerS: number;
  durationS: number;
  connections?: number;
  uniqueIdempotencyKey?: boolean;
  /** sign a fresh Standard Webhooks delivery per request with this secret (it replaces `body`) */
  webhookSecret?: string;
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
  const args = {
    origin: target.origin,
    path: target.pathname + target.search,
    method: options.method ?? 'GET',
    headers: options.headers ?? {},
    body: options.body,
    ratePerS: options.ratePerS,
    durationS: options.durationS,
    connections: options.connections ?? 256,
    uniqueKey: options.uniqueIdempotencyKey ?? false,
    webhookSecret: options.webhookSecret,
    maxOutstanding: options.maxOutstanding ?? 4096,
  };
  return runJsonChild<OpenLoopResult>(CHILD, args, 'open-loop load');
}

/** requests answered with a 2xx status, per second of the run */
export function goodput(result: OpenLoopResult): number {
  return (result.statuses['2xx']?.count ?? 0) / result.elapsedS;
}
