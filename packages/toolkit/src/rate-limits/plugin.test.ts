/** The rate-limits plugin's held refusals: a client that ignores Retry-After is slowed, never waited for after it hangs up. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import Fastify from 'fastify';
import { systemClock } from '../ids/index.ts';
import { coreProblems, createProblemRegistry, problems } from '../problems/index.ts';
import { createRateLimiter } from './limiter.ts';
import { rateLimits } from './plugin.ts';
import { rateLimitProblems } from './problems.ts';

async function start(options: { refusalDelayMs?: number; maxHeldRefusals?: number }) {
  const app = Fastify();
  await app.register(problems, { registry: createProblemRegistry(coreProblems, rateLimitProblems) });
  await app.register(rateLimits, {
    limiter: createRateLimiter({ policies: { reads: { limit: 1, windowS: 3600 } }, clock: systemClock }),
    classOf: () => 'reads',
    partitionOf: () => 'one',
    ...options,
  });
  app.get('/', async () => ({ ok: true }));
  const base = await app.listen({ port: 0, host: '127.0.0.1' });
  return { app, base };
}

const settled = (p: Promise<unknown>) =>
  Promise.race([p.then(() => true), new Promise((resolve) => setImmediate(() => resolve(false)))]);

test('a refusal is held (up to maxHeldRefusals at once); beyond that, and when closing, refusals go out at once', async () => {
  const { app, base } = await start({ refusalDelayMs: 60_000, maxHeldRefusals: 1 });
  assert.equal((await fetch(base)).status, 200);
  const held = fetch(base);
  // the second refusal finds the one slot taken: it is answered at once
  const immediate = await fetch(base);
  assert.equal(immediate.status, 429);
  assert.match(String(immediate.headers.get('retry-after')), /^[1-9]\d*$/);
  assert.equal(await settled(held), false, 'the first refusal is still held');
  // closing lets every held refusal out (with the server's closing, not after 60 s)
  const closing = app.close();
  const first = await held;
  assert.equal(first.status, 429);
  assert.equal(((await first.json()) as { type: string }).type, '/problems/rate-limited');
  await closing;
});

test('a client that hangs up is not waited for: its slot is free for the next refusal', async () => {
  const { app, base } = await start({ refusalDelayMs: 60_000, maxHeldRefusals: 1 });
  assert.equal((await fetch(base)).status, 200);
  const controller = new AbortController();
  const gone = fetch(base, { signal: controller.signal }).catch((error: Error) => error);
  await new Promise((resolve) => setTimeout(resolve, 50)); // the request reached the server
  controller.abort();
  assert.ok((await gone) instanceof Error);
  // the aborted refusal left the hold: the next one is held again (not answered at once)
  const again = new AbortController();
  const next = fetch(base, { signal: again.signal }).catch((error: Error) => error);
  await new Promise((resolve) => setTimeout(resolve, 50)); // the request reached the server
  // the slot is taken by `next` now: a probe is answered at once while `next` stays held
  assert.equal((await fetch(base)).status, 429);
  assert.equal(await settled(next), false);
  again.abort();
  await next;
  await app.close();
});

test('refusalDelayMs: 0 answers at once', async () => {
  const { app, base } = await start({ refusalDelayMs: 0 });
  assert.equal((await fetch(base)).status, 200);
  const refusals = await Promise.all([fetch(base), fetch(base), fetch(base)]);
  assert.deepEqual(
    refusals.map((r) => r.status),
    [429, 429, 429],
  );
  await app.close();
});
