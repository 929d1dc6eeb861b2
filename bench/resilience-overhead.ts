/**
 * ns per call of timeout + retry + breaker + bulkhead around a no-op async
 * call: ours vs cockatiel's equivalent `wrap`, and the bare call, same run.
 * ratio = our overhead ÷ cockatiel's overhead (overhead = per-call time minus
 * the bare call's). Target ≤ 0.5.
 */

import { bulkhead, circuitBreaker, pipeline, retry, timeout } from '@steadfast/toolkit/resilience';
import * as cockatiel from 'cockatiel';
import { report, round } from './lib/report.ts';

const noop = async () => 1;

async function measure(name: string, call: () => Promise<unknown>, iterations: number): Promise<number> {
  for (let i = 0; i < 20_000; i++) await call(); // warm up the JIT
  const samples: number[] = [];
  for (let round = 0; round < 5; round++) {
    const started = process.hrtime.bigint();
    for (let i = 0; i < iterations; i++) await call();
    samples.push(Number(process.hrtime.bigint() - started) / iterations);
  }
  samples.sort((a, b) => a - b);
  const median = samples[2];
  console.log(`${name.padEnd(28)} ${median.toFixed(0)} ns/call`);
  return median;
}

export async function run(args: string[]): Promise<void> {
  const iterations = Number(args[0] ?? 100_000);
  const ours = pipeline(
    retry({ maxAttempts: 3, shouldRetry: () => true }),
    circuitBreaker({}),
    bulkhead({ maxConcurrent: 100 }),
    timeout({ timeoutMs: 1000 }),
  );
  const theirs = cockatiel.wrap(
    cockatiel.retry(cockatiel.handleAll, { maxAttempts: 2, backoff: new cockatiel.ExponentialBackoff() }),
    cockatiel.circuitBreaker(cockatiel.handleAll, {
      halfOpenAfter: 5000,
      breaker: new cockatiel.SamplingBreaker({ threshold: 0.5, duration: 10_000 }),
    }),
    cockatiel.bulkhead(100),
    cockatiel.timeout(1000, cockatiel.TimeoutStrategy.Cooperative),
  );
  const bare = await measure('bare async call', noop, iterations);
  const oursNs = await measure('steadfast pipeline', () => ours.execute(noop), iterations);
  const theirsNs = await measure('cockatiel wrap', () => theirs.execute(noop), iterations);
  const ourOverhead = oursNs - bare;
  const theirOverhead = theirsNs - bare;
  console.log(`overhead: ours ${ourOverhead.toFixed(0)} ns, cockatiel ${theirOverhead.toFixed(0)} ns`);
  report({
    name: 'resilience-overhead',
    value: round(ourOverhead, 0),
    baseline: round(theirOverhead, 0),
    ratio: round(ourOverhead / theirOverhead),
    unit: 'ns/call overhead',
    target: '<= 0.5',
    bareNs: round(bare, 0),
    oursNs: round(oursNs, 0),
    cockatielNs: round(theirsNs, 0),
    iterations,
  });
}
