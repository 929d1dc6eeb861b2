/**
 * How long the rate-limits plugin holds a refusal, on node:test's mocked
 * setTimeout (the held-refusal gauge is recorded, so each step is seen
 * synchronously): the default (half Retry-After, at most 500 ms), a function
 * with jitter, 0 = at once, no metrics, and the close listener given back.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { getNotes, limitedApp, recordMetrics } from './limiter-harness.ts';

test('by default a refusal is held 500 ms (its Retry-After is 90 s)', async (t) => {
  const recorded = recordMetrics();
  const { app } = await limitedApp({ metrics: recorded.metrics, random: () => 0 });
  t.mock.timers.enable({ apis: ['setTimeout'] });
  assert.equal((await getNotes(app)).statusCode, 200);
  assert.equal((await getNotes(app)).statusCode, 200);
  const held = recorded.nextHeld();
  const refused = getNotes(app);
  assert.equal(await held, 1);
  t.mock.timers.tick(499);
  assert.deepEqual(recorded.held, [1], 'still held after 499 ms');
  t.mock.timers.tick(1);
  assert.deepEqual(recorded.held, [1, 0], 'sent at 500 ms');
  assert.equal((await refused).statusCode, 429);
  assert.deepEqual(recorded.limited, [{ class: 'writes' }]);
  t.mock.timers.reset();
  await app.close();
});

test('a refusalDelayMs function is called, and the jitter shortens the hold by jitter × random', async (t) => {
  const recorded = recordMetrics();
  const { app } = await limitedApp({
    metrics: recorded.metrics,
    refusalDelayMs: () => 1000,
    refusalJitter: 0.5,
    random: () => 0.5,
  });
  t.mock.timers.enable({ apis: ['setTimeout'] });
  await getNotes(app);
  await getNotes(app);
  const held = recorded.nextHeld();
  const refused = getNotes(app);
  assert.equal(await held, 1);
  t.mock.timers.tick(749);
  assert.deepEqual(recorded.held, [1], 'still held after 749 ms');
  t.mock.timers.tick(1);
  assert.deepEqual(recorded.held, [1, 0], 'sent at 1000 × (1 - 0.5 × 0.5) = 750 ms');
  assert.equal((await refused).statusCode, 429);
  t.mock.timers.reset();
  await app.close();
});

test('refusalDelayMs 0: the refusal goes out without being held at all', async () => {
  const recorded = recordMetrics();
  const { app } = await limitedApp({ metrics: recorded.metrics, refusalDelayMs: 0 });
  await getNotes(app);
  await getNotes(app);
  assert.equal((await getNotes(app)).statusCode, 429);
  assert.deepEqual(recorded.held, []);
  assert.deepEqual(recorded.limited, [{ class: 'writes' }]);
  await app.close();
});

test('without metrics a held refusal still goes out when its time comes', async (t) => {
  let refusals = 0;
  let seen = () => {};
  const onRefusal = new Promise<void>((resolve) => {
    seen = resolve;
  });
  const { app } = await limitedApp({
    refusalDelayMs: 1000,
    random: () => 0,
    onRefusal: () => {
      refusals++;
      seen();
    },
  });
  t.mock.timers.enable({ apis: ['setTimeout'] });
  await getNotes(app);
  await getNotes(app);
  const refused = getNotes(app);
  await Promise.race([onRefusal, refused]);
  t.mock.timers.tick(1000);
  assert.equal((await refused).statusCode, 429);
  assert.equal(refusals, 1);
  t.mock.timers.reset();
  await app.close();
});

test('a held refusal, once sent, leaves no close listener of its own on the response', async (t) => {
  const recorded = recordMetrics();
  const listeners: number[] = [];
  const { app } = await limitedApp({ metrics: recorded.metrics, random: () => 0 }, (app) => {
    app.addHook('onSend', async (_request, reply) => {
      listeners.push(reply.raw.listenerCount('close'));
    });
  });
  t.mock.timers.enable({ apis: ['setTimeout'] });
  await getNotes(app);
  await getNotes(app);
  const held = recorded.nextHeld();
  const refused = getNotes(app);
  await held;
  t.mock.timers.tick(500);
  assert.equal((await refused).statusCode, 429);
  // Fastify's own listener only, as on the two admitted requests
  assert.deepEqual(listeners, [1, 1, 1]);
  t.mock.timers.reset();
  await app.close();
});
