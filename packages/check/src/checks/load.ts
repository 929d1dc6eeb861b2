/**
 * load.latency — constant-rate load on the safe GET operations and on the
 * document's idempotent POSTs (each with a fresh Idempotency-Key): achieved
 * rate, p50/p90/p99 per kind, non-2xx by category.
 */
import { randomUUID } from 'node:crypto';
import type { RequestSpec, Response } from '../client.ts';
import type { CheckContext } from '../context.ts';
import { buildRequest, NotApplicable } from '../requests.ts';

export interface LoadOptions {
  rps: number;
  durationS: number;
  p99Ms: number;
}

/** the category of a non-2xx answer: its problem type when it has one, else its status class */
function category(response: Response): string {
  const type = (response.json as { type?: unknown } | undefined)?.type;
  return `${response.status}${typeof type === 'string' ? ` ${type.split('/').pop()}` : ''}`;
}

export async function runLoadCheck(ctx: CheckContext, options: LoadOptions): Promise<void> {
  const targets: { kind: 'read' | 'write'; request: RequestSpec }[] = [];
  for (const op of ctx.operations) {
    const write =
      op.method === 'POST' &&
      op.pathParams.length === 0 &&
      op.body !== undefined &&
      (op.requiredHeaders.includes('idempotency-key') || op.optionalHeaders.includes('idempotency-key'));
    if (op.method !== 'GET' && !write) continue;
    try {
      targets.push({ kind: write ? 'write' : 'read', request: await buildRequest(ctx, op) });
    } catch (error) {
      if (!(error instanceof NotApplicable)) throw error;
    }
  }
  if (targets.length === 0) {
    ctx.report({
      id: 'load.latency',
      group: 'load',
      operation: '*',
      status: 'skipped',
      detail: 'no GET or idempotent POST can be called',
    });
    return;
  }
  const latencies: Record<string, number[]> = { read: [], write: [] };
  const failures: Response[] = [];
  const categories = new Map<string, number>();
  let errors = 0;
  const inFlight: Promise<void>[] = [];
  const total = Math.round(options.rps * options.durationS);
  const started = performance.now();
  for (let i = 0; i < total; i++) {
    const due = started + (i * 1000) / options.rps;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const sentAt = performance.now();
    const { kind, request } = targets[i % targets.length];
    const spec =
      kind === 'write'
        ? { ...request, headers: { ...request.headers, 'idempotency-key': randomUUID() } }
        : request;
    inFlight.push(
      ctx.client.send(spec).then(
        (response) => {
          latencies[kind].push(performance.now() - sentAt);
          if (response.status >= 300)
            categories.set(category(response), (categories.get(category(response)) ?? 0) + 1);
          if (response.status >= 500) failures.push(response);
        },
        () => {
          errors++;
        },
      ),
    );
  }
  await Promise.all(inFlight);
  const elapsedS = (performance.now() - started) / 1000;
  const pct = (values: number[], p: number) => {
    const sorted = [...values].sort((a, b) => a - b);
    return Math.round(sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? 0);
  };
  const all = [...latencies.read, ...latencies.write];
  const p99 = pct(all, 0.99);
  const ok = failures.length === 0 && errors === 0 && p99 <= options.p99Ms;
  const byKind = (['read', 'write'] as const)
    .filter((k) => latencies[k].length)
    .map(
      (k) =>
        `${k}s ${latencies[k].length}: p50 ${pct(latencies[k], 0.5)} ms, p90 ${pct(latencies[k], 0.9)} ms, p99 ${pct(latencies[k], 0.99)} ms`,
    )
    .join('; ');
  const non2xx = [...categories.entries()].map(([c, n]) => `${n} × ${c}`).join(', ') || 'none';
  ctx.report({
    id: 'load.latency',
    group: 'load',
    operation: targets.map((t) => `${t.request.method} ${t.request.path}`).join(', '),
    status: ok ? 'passed' : 'failed',
    detail: `${Math.round(all.length / elapsedS)} req/s achieved of ${options.rps}; ${byKind}; overall p99 ${p99} ms (limit ${options.p99Ms}); non-2xx: ${non2xx}; ${errors} network errors`,
    evidence: failures.slice(0, 3).map((f) => f.exchange),
  });
}
