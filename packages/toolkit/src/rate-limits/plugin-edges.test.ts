/**
 * The rate-limits plugin's edges on app.inject with a fake clock: its plugin
 * name and Fastify range, the request decorator, unlimited requests (no class,
 * no partition), the refusal's problem (detail, Retry-After, headers) without
 * metrics, a refund called twice, the limiter started and closed with the app,
 * and the bounds of refusalJitter.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import Fastify from 'fastify';
import { getNotes, handStore, limitedApp, limiterOf } from './limiter-harness.ts';
import { rateLimits } from './plugin.ts';

describe('registration', () => {
  test('registers as steadfast-rate-limits for Fastify 5, decorating requests with rateLimit', async () => {
    const meta = (rateLimits as unknown as Record<symbol, unknown>)[Symbol.for('plugin-meta')];
    assert.deepEqual(meta, { name: 'steadfast-rate-limits', fastify: '5.x' });
    const { app } = await limitedApp();
    assert.equal(app.hasPlugin('steadfast-rate-limits'), true);
    assert.equal(app.hasRequestDecorator('rateLimit'), true);
    await app.close();
  });

  test('the limiter starts when the app is ready and closes with it', async () => {
    const hand = handStore();
    const { limiter } = limiterOf(2, 60, { store: hand.store });
    const { app } = await limitedApp({ limiter });
    assert.deepEqual(hand.calls, ['start']);
    await app.close();
    assert.deepEqual(hand.calls, ['start', 'close']);
  });
});

describe('requests that are not limited', () => {
  test('a route without a class never asks for the partition and carries no headers', async () => {
    const { app, partitionAsked } = await limitedApp();
    for (let i = 0; i < 3; i++) {
      const response = await app.inject({ method: 'GET', url: '/health', headers: { 'x-tenant': 'acme' } });
      assert.equal(response.statusCode, 200);
      assert.deepEqual(response.json(), { rateLimit: null });
      assert.equal(response.headers.ratelimit, undefined);
    }
    assert.deepEqual(partitionAsked, []);
    await app.close();
  });

  test('a request without a partition is not limited and carries no headers', async () => {
    const { app, partitionAsked } = await limitedApp();
    for (let i = 0; i < 3; i++) {
      const response = await app.inject({ method: 'GET', url: '/notes' });
      assert.equal(response.statusCode, 200);
      assert.equal(response.headers['ratelimit-policy'], undefined);
      assert.equal(response.headers.ratelimit, undefined);
    }
    assert.deepEqual(partitionAsked, ['/notes', '/notes', '/notes']);
    await app.close();
  });
});

describe('a refusal', () => {
  test('without metrics: the rate-limited problem with its detail, Retry-After and both fields', async () => {
    const { app } = await limitedApp({ refusalDelayMs: 0 });
    assert.equal((await getNotes(app)).headers.ratelimit, '"writes";r=1;t=60');
    assert.equal((await getNotes(app)).statusCode, 200);
    const refused = await getNotes(app);
    assert.equal(refused.statusCode, 429);
    assert.equal(refused.headers['retry-after'], '90', 'the 2 of the window slide out by half at 60 + 30 s');
    assert.equal(refused.headers['ratelimit-policy'], '"writes";q=2;w=60');
    assert.equal(refused.headers.ratelimit, '"writes";r=0;t=90');
    const body = refused.json();
    assert.equal(body.type, '/problems/rate-limited');
    assert.equal(body.detail, 'Over the 2 per 60 s quota of "writes" requests; retry after 90 s.');
    await app.close();
  });
});

describe('refunds', () => {
  test('a request that refunds twice gives back one unit only', async () => {
    const { app } = await limitedApp({ refusalDelayMs: 0 });
    assert.equal((await getNotes(app)).statusCode, 200);
    const replay = await app.inject({ method: 'POST', url: '/replays', headers: { 'x-tenant': 'acme' } });
    assert.equal(replay.statusCode, 200);
    assert.equal((await getNotes(app)).statusCode, 200, 'the refunded unit');
    assert.equal((await getNotes(app)).statusCode, 429, 'no second unit was given back');
    await app.close();
  });
});

describe('refusalJitter', () => {
  const register = async (refusalJitter: number) => {
    const app = Fastify();
    try {
      await app.register(rateLimits, {
        limiter: limiterOf(2, 60).limiter,
        classOf: () => 'writes',
        partitionOf: () => 'acme',
        refusalJitter,
      });
    } finally {
      await app.close().catch(() => {});
    }
  };

  test('0 and 1 are accepted', async () => {
    await register(0);
    await register(1);
  });

  for (const [jitter, shown] of [
    [-0.1, '-0.1'],
    [1.5, '1.5'],
    [Number.NaN, 'NaN'],
  ] as const) {
    test(`${shown} is refused with a RangeError naming it`, async () => {
      await assert.rejects(register(jitter), (error: Error) => {
        assert.ok(error instanceof RangeError);
        assert.equal(error.message, `refusalJitter must be 0 to 1, got ${shown}`);
        return true;
      });
    });
  }
});
