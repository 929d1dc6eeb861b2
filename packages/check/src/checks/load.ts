/** load.latency — constant-rate load on safe GET operations: achieved rate, p50/p99, errors. */
import type { Response } from '../client.ts';
import type { CheckContext } from '../context.ts';
import { buildRequest, NotApplicable } from '../requests.ts';

export interface LoadOptions {
  rps: number;
  durationS: number;
  p99Ms: number;
}

export async function runLoadCheck(ctx: CheckContext, options: LoadOptions): Promise<void> {
  const targets = [];
  for (const op of ctx.operations.filter((o) => o.method === 'GET')) {
    try {
      targets.push(await buildRequest(ctx, op));
    } catch (error) {
      if (!(error instanceof NotApplicable)) throw error;
    }
  }
  if (targets.length === 0) {
    ctx.report({
      id: 'load.latency',
      group: 'load',
      operation: 'GET *',
      status: 'skipped',
      detail: 'no GET operation can be called',
    });
    return;
  }
  const latencies: number[] = [];
  const failures: Response[] = [];
  let errors = 0;
  const inFlight: Promise<void>[] = [];
  const total = Math.round(options.rps * options.durationS);
  const started = performance.now();
  for (let i = 0; i < total; i++) {
    const due = started + (i * 1000) / options.rps;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const sentAt = performance.now();
    inFlight.push(
      ctx.client.send(targets[i % targets.length]).then(
        (response) => {
          latencies.push(performance.now() - sentAt);
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
  latencies.sort((a, b) => a - b);
  const pct = (p: number) =>
    Math.round(latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))] ?? 0);
  const p99 = pct(0.99);
  const ok = failures.length === 0 && errors === 0 && p99 <= options.p99Ms;
  ctx.report({
    id: 'load.latency',
    group: 'load',
    operation: targets.map((t) => `GET ${t.path}`).join(', '),
    status: ok ? 'passed' : 'failed',
    detail: `${Math.round(latencies.length / elapsedS)} req/s achieved of ${options.rps}; p50 ${pct(0.5)} ms, p99 ${p99} ms (limit ${options.p99Ms}); ${failures.length} 5xx, ${errors} network errors`,
    evidence: failures.slice(0, 3).map((f) => f.exchange),
  });
}
