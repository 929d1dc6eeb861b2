/**
 * Rate-limiter overhead: a bare Fastify app with a trivial GET route, with the
 * rateLimits plugin (one in-memory limiter, a limit no request reaches, 10 000
 * partitions taken round-robin so the cell map is realistic) vs without, same
 * process, alternating rounds (2 of each), autocannon with 50 connections.
 * `ratio` = with ÷ without; target ≥ 0.95 (≤ 5 % throughput).
 */
import { systemClock } from '@steadfast/toolkit/ids';
import { coreProblems, createProblemRegistry, problems } from '@steadfast/toolkit/problems';
import { createRateLimiter, rateLimitProblems, rateLimits } from '@steadfast/toolkit/rate-limits';
import Fastify from 'fastify';
import { combine, type LoadResult, load } from './lib/load.ts';
import { report, round } from './lib/report.ts';

const PARTITIONS = 10_000;

async function startApi(limited: boolean) {
  const app = Fastify();
  await app.register(problems, { registry: createProblemRegistry(coreProblems, rateLimitProblems) });
  if (limited) {
    let next = 0;
    await app.register(rateLimits, {
      limiter: createRateLimiter({
        policies: { reads: { limit: 1_000_000_000, windowS: 1 } },
        clock: systemClock,
      }),
      classOf: () => 'reads',
      partitionOf: () => `tenant-${next++ % PARTITIONS}`,
    });
  }
  app.get('/ping', async () => ({ ok: true }));
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  return { url, close: () => app.close() };
}

function line(name: string, r: LoadResult): void {
  console.log(
    `${name.padEnd(28)} ${round(r.requestsPerSecond, 0)} req/s  p50 ${r.p50Ms} ms  p99 ${r.p99Ms} ms  non-2xx ${r.non2xx}`,
  );
}

export async function run(args: string[]): Promise<void> {
  const durationS = Number(args[0] ?? 5);
  const off = await startApi(false);
  const on = await startApi(true);
  try {
    for (const api of [off, on]) await load({ url: `${api.url}/ping`, durationS: 2 }); // warm up
    const runs: { off: LoadResult[]; on: LoadResult[] } = { off: [], on: [] };
    for (let i = 0; i < 2; i++) {
      runs.off.push(await load({ url: `${off.url}/ping`, durationS }));
      runs.on.push(await load({ url: `${on.url}/ping`, durationS }));
    }
    const [o, l] = [combine(runs.off), combine(runs.on)];
    line('without rate limits', o);
    line(`with rate limits (${PARTITIONS} partitions)`, l);
    if (o.non2xx || l.non2xx) throw new Error('non-2xx responses during the benchmark');
    report({
      name: 'rate-limit-overhead',
      value: round(l.requestsPerSecond, 1),
      baseline: round(o.requestsPerSecond, 1),
      ratio: round(l.requestsPerSecond / o.requestsPerSecond),
      unit: 'req/s',
      target: '>= 0.95',
      p99Ms: l.p99Ms,
      baselineP99Ms: o.p99Ms,
      partitions: PARTITIONS,
      connections: 50,
      durationS,
      rounds: 2,
    });
  } finally {
    await off.close();
    await on.close();
  }
}
