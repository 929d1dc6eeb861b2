/** The rate-limits plugin's held refusals: a client that ignores Retry-After is slowed, never waited for after it hangs up. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import Fastify from 'fastify';
import { Registry } from 'prom-client';
import { systemClock } from '../ids/index.ts';
import { coreProblems, createProblemRegistry, problems } from '../problems/index.ts';
import { eventually } from '../testing/index.ts';
import { createRateLimiter } from './limiter.ts';
import { createRateLimitMetrics } from './metrics.ts';
import { rateLimits } from './plugin.ts';
import { rateLimitProblems } from './problems.ts';

async function start(options: { refusalDelayMs?: number; maxHeldRefusals?: number }) {
  const registry = new Registry();
  const app = Fastify();
  await app.register(problems, { registry: createProblemRegistry(coreProblems, rateLimitProblems) });
  await app.register(rateLimits, {
    limiter: createRateLimiter({ policies: { reads: { limit: 1, windowS: 3600 } }, clock: systemClock }),
    classOf: () => 'reads',
    partitionOf: () => 'one',
    metrics: createRateLimitMetrics(registry),
    ...options,
  });
  app.get('/', async () => ({ ok: true }));
  const base = await app.listen({ port: 0, host: '127.0.0.1' });
  const held = async () =>
    (await registry.getSingleMetric('steadfast_rate_limit_held_refusals')?.get())?.values[0]?.value ?? 0;
  /** resolves once exactly `n` refusals are held (polled, never slept for) */
  const heldBecomes = (n: number) => eventually(async () => (await held()) === n, { message: `${n} held` });
  return { app, base, held, heldBecomes };
}

test('a refusal is held (up to maxHeldRefusals at once); beyond that, and when closing, refusals go out at once', async () => {
  const { app, base, held, heldBecomes } = await start({ refusalDelayMs: 60_000, maxHeldRefusals: 1 });
  assert.equal((await fetch(base)).status, 200);
  let answered = false;
  const first = fetch(base).then((r) => {
    answered = true;
    return r;
  });
  await heldBecomes(1);
  // the hold is full: the next refusal is answered at once
  const immediate = await fetch(base);
  assert.equal(immediate.status, 429);
  assert.match(String(immediate.headers.get('retry-after')), /^[1-9]\d*$/);
  assert.equal(answered, false, 'the first refusal is still held');
  assert.equal(await held(), 1);
  // closing lets every held refusal out (with the server's closing, not after 60 s)
  const closing = app.close();
  const refused = await first;
  assert.equal(refused.status, 429);
  assert.equal(((await refused.json()) as { type: string }).type, '/problems/rate-limited');
  await closing;
  assert.equal(await held(), 0);
});

test('a client that hangs up is not waited for: its hold is given back', async () => {
  const { app, base, heldBecomes } = await start({ refusalDelayMs: 60_000, maxHeldRefusals: 1 });
  assert.equal((await fetch(base)).status, 200);
  const controller = new AbortController();
  const gone = fetch(base, { signal: controller.signal }).catch((error: Error) => error);
  await heldBecomes(1);
  controller.abort();
  assert.ok((await gone) instanceof Error);
  await heldBecomes(0);
  // the hold is free again: the next refusal is held, not answered at once
  const again = new AbortController();
  const next = fetch(base, { signal: again.signal }).catch((error: Error) => error);
  await heldBecomes(1);
  again.abort();
  await next;
  await heldBecomes(0);
  app.server.closeAllConnections(); // undici keeps the aborted requests' sockets: do not wait for them
  await app.close();
});

test('refusalDelayMs: 0 answers at once', async () => {
  const { app, base, held } = await start({ refusalDelayMs: 0 });
  assert.equal((await fetch(base)).status, 200);
  const refusals = await Promise.all([fetch(base), fetch(base), fetch(base)]);
  assert.deepEqual(
    refusals.map((r) => r.status),
    [429, 429, 429],
  );
  assert.equal(await held(), 0);
  await app.close();
});
