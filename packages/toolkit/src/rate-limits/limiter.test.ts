/** The in-memory limiter with a fake clock: quotas, the sliding estimate, refunds, isolation, overrides. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createFakeClock } from '../testing/index.ts';
import { formatRateLimit, formatRateLimitPolicy, rateLimitHeaders } from './headers.ts';
import { createRateLimiter } from './limiter.ts';
import type { RateLimitStore, RateLimitStoreClient } from './store.ts';

const WINDOW_START = Date.UTC(2026, 0, 1); // a whole second: windows are aligned to the epoch

function limiterAt(limit = 10, windowS = 1, extra: Partial<Parameters<typeof createRateLimiter>[0]> = {}) {
  const clock = createFakeClock(WINDOW_START);
  const limiter = createRateLimiter({
    policies: { writes: { limit, windowS }, reads: { limit: limit * 10, windowS } },
    clock,
    ...extra,
  });
  return { clock, limiter };
}

const takeN = (limiter: ReturnType<typeof createRateLimiter>, n: number, partition = 't1', cls = 'writes') =>
  Array.from({ length: n }, () => limiter.take(partition, cls)).filter((d) => d.allowed).length;

describe('rate limiter (one process)', () => {
  test('admits exactly the limit in a window, then refuses with Retry-After', () => {
    const { limiter } = limiterAt(10);
    const first = limiter.take('t1', 'writes');
    assert.deepEqual(first, {
      allowed: true,
      className: 'writes',
      limit: 10,
      windowS: 1,
      remaining: 9,
      resetS: 1,
      retryAfterS: 0,
    });
    assert.equal(takeN(limiter, 20), 9);
    const refused = limiter.take('t1', 'writes');
    assert.equal(refused.allowed, false);
    assert.equal(refused.remaining, 0);
    assert.ok(refused.retryAfterS >= 1, `retryAfterS ${refused.retryAfterS}`);
    assert.equal(refused.resetS, refused.retryAfterS);
  });

  test('the sliding estimate carries the previous window across the boundary', () => {
    const { clock, limiter } = limiterAt(10);
    assert.equal(takeN(limiter, 10), 10);
    clock.advance(1000); // next window starts: previous counts fully (weight 1)
    assert.equal(limiter.take('t1', 'writes').allowed, false);
    clock.advance(300); // 30 % into the window: the estimate is 10 × 0.7 = 7
    assert.equal(takeN(limiter, 10), 3);
    clock.advance(400); // 70 %: 10 × 0.3 + 3 = 6
    assert.equal(takeN(limiter, 10), 4);
    clock.advance(2000); // two windows later nothing is left of either
    assert.equal(takeN(limiter, 20), 10);
  });

  test('Retry-After says when a request fits again', () => {
    const { clock, limiter } = limiterAt(10, 10);
    assert.equal(takeN(limiter, 10), 10);
    const refused = limiter.take('t1', 'writes');
    assert.equal(refused.allowed, false);
    // all 10 in the current window: one unit frees after 10 s (window end) + 1 s (10 % slid out)
    assert.equal(refused.retryAfterS, 11);
    clock.advance(refused.retryAfterS * 1000);
    assert.equal(limiter.take('t1', 'writes').allowed, true);
  });

  test('a refund gives the unit back', () => {
    const { limiter } = limiterAt(3);
    assert.equal(takeN(limiter, 3), 3);
    assert.equal(limiter.take('t1', 'writes').allowed, false);
    limiter.refund('t1', 'writes');
    assert.equal(limiter.take('t1', 'writes').allowed, true);
    assert.equal(limiter.take('t1', 'writes').allowed, false);
    limiter.refund('nobody', 'writes'); // unknown cell: nothing to do
  });

  test('classes and partitions are isolated', () => {
    const { limiter } = limiterAt(5);
    assert.equal(takeN(limiter, 10, 't1', 'writes'), 5);
    assert.equal(takeN(limiter, 10, 't2', 'writes'), 5);
    assert.equal(takeN(limiter, 60, 't1', 'reads'), 50);
    assert.equal(limiter.take('t1', 'writes').allowed, false);
  });

  test('overridesOf replaces a class policy for one partition', () => {
    const { limiter } = limiterAt(5, 1, {
      overridesOf: (p) => (p === 'big' ? { writes: { limit: 50, windowS: 2 } } : undefined),
    });
    assert.equal(takeN(limiter, 100, 'big'), 50);
    assert.equal(takeN(limiter, 100, 'small'), 5);
    const decision = limiter.take('big', 'writes');
    assert.equal(decision.limit, 50);
    assert.equal(decision.windowS, 2);
  });

  test('a cost above one spends several units', () => {
    const { limiter } = limiterAt(10);
    assert.equal(limiter.take('t1', 'writes', 7).allowed, true);
    assert.equal(limiter.take('t1', 'writes', 4).allowed, false);
    assert.equal(limiter.take('t1', 'writes', 3).allowed, true);
  });

  test('an unknown class is a programming error', () => {
    const { limiter } = limiterAt();
    assert.throws(() => limiter.take('t1', 'deletes'), /unknown class "deletes"/);
  });

  test('bad policies throw at construction, naming the class', () => {
    const clock = createFakeClock();
    for (const [policies, message] of [
      [{ writes: { limit: 0, windowS: 1 } }, /class "writes": limit must be a positive integer, got 0/],
      [{ writes: { limit: -5, windowS: 1 } }, /"writes": limit .* got -5/],
      [{ reads: { limit: 1.5, windowS: 1 } }, /"reads": limit .* got 1.5/],
      [{ reads: { limit: '10', windowS: 1 } }, /"reads": limit .* got "10"/],
      [{ polls: { limit: 10, windowS: 0 } }, /"polls": windowS must be a positive integer/],
      [{ 'bad name': { limit: 10, windowS: 1 } }, /class "bad name": a name is/],
      [{}, /at least one route class/],
    ] as const) {
      assert.throws(() => createRateLimiter({ policies: policies as never, clock }), message);
    }
  });

  test('tracked cells are bounded: idle ones are evicted first', () => {
    const { clock, limiter } = limiterAt(2, 1, { maxCells: 100 });
    for (let i = 0; i < 100; i++) limiter.take(`idle-${i}`, 'writes');
    clock.advance(2000);
    assert.equal(takeN(limiter, 5, 'busy'), 2);
    for (let i = 0; i < 200; i++) limiter.take(`new-${i}`, 'writes'); // forces evictions
    // the limiter keeps answering and a fresh partition still gets its whole quota
    assert.equal(takeN(limiter, 5, 'fresh'), 2);
  });

  test('full of active cells: the oldest tenth is forgotten (those partitions start afresh), the rest keep their counts', () => {
    const { limiter } = limiterAt(2, 1, { maxCells: 100 });
    for (let i = 0; i < 100; i++) assert.equal(takeN(limiter, 3, `active-${i}`), 2);
    assert.equal(takeN(limiter, 3, 'newcomer'), 2); // the 101st cell: 100 - 90 = 10 forgotten
    // checked before the re-added ones fill the table again (which would forget the next tenth)
    for (const i of [20, 50, 99]) assert.equal(takeN(limiter, 3, `active-${i}`), 0, `active-${i} kept`);
    assert.equal(takeN(limiter, 3, 'newcomer'), 0, 'the newcomer kept');
    for (let i = 0; i < 10; i++) assert.equal(takeN(limiter, 3, `active-${i}`), 2, `active-${i} forgotten`);
  });

  test('an override that changes the window starts the partition afresh; one that keeps it keeps the count', () => {
    let override: { limit: number; windowS: number } | undefined;
    const { limiter } = limiterAt(5, 1, { overridesOf: () => (override ? { writes: override } : undefined) });
    assert.equal(takeN(limiter, 10), 5);
    override = { limit: 6, windowS: 1 };
    assert.equal(takeN(limiter, 10), 1, 'same window, one more allowed: the 5 spent still count');
    override = { limit: 6, windowS: 2 };
    assert.equal(takeN(limiter, 10), 6, 'another window: a fresh count');
  });
});

describe('RateLimit header fields (draft-ietf-httpapi-ratelimit-headers)', () => {
  test('policy and state are Structured Field list items', () => {
    assert.equal(
      formatRateLimitPolicy({ className: 'writes', limit: 100, windowS: 1 }),
      '"writes";q=100;w=1',
    );
    assert.equal(formatRateLimit({ className: 'writes', remaining: 57, resetS: 1 }), '"writes";r=57;t=1');
    assert.equal(
      formatRateLimit({ className: 'long-polls', remaining: -3, resetS: 2.7 }),
      '"long-polls";r=0;t=2',
    );
    assert.equal(formatRateLimitPolicy({ className: 'x', limit: 7.9, windowS: -1 }), '"x";q=7;w=0');
  });

  test('a name with a quote or a backslash is escaped as an sf-string', () => {
    assert.equal(
      formatRateLimitPolicy({ className: 'a"b\\c', limit: 1, windowS: 1 }),
      '"a\\"b\\\\c";q=1;w=1',
    );
    assert.equal(formatRateLimit({ className: '\\', remaining: 1, resetS: 1 }), '"\\\\";r=1;t=1');
  });

  test('rateLimitHeaders gives both fields under their names', () => {
    assert.deepEqual(
      rateLimitHeaders({ className: 'reads', limit: 10, windowS: 60, remaining: 4, resetS: 12 }),
      {
        'RateLimit-Policy': '"reads";q=10;w=60',
        RateLimit: '"reads";r=4;t=12',
      },
    );
  });
});

describe('exhausted: a look at the quota that spends nothing', () => {
  test('true once the partition has spent its quota, for that class and partition only', () => {
    const { limiter } = limiterAt(3);
    assert.equal(limiter.exhausted('t1', 'writes'), false, 'an unknown cell is not exhausted');
    assert.equal(takeN(limiter, 2), 2);
    assert.equal(limiter.exhausted('t1', 'writes'), false);
    assert.equal(limiter.exhausted('t1', 'writes'), false, 'looking spends nothing');
    assert.equal(takeN(limiter, 1), 1);
    assert.equal(limiter.exhausted('t1', 'writes'), true);
    assert.equal(limiter.exhausted('t2', 'writes'), false);
    assert.equal(limiter.exhausted('t1', 'reads'), false);
  });
});

describe('rate limiter with a store that stops answering', () => {
  test('no successful sync for a whole window: each instance fails open with an even share, not the pre-sync tenth', () => {
    let client: RateLimitStoreClient | undefined;
    const store: RateLimitStore = {
      attach: (c) => {
        client = c;
      },
      start: async () => {},
      close: async () => {},
    };
    const { clock, limiter } = limiterAt(100, 1, { store });
    // one sync that says another instance is active, then the store hangs (a frozen database)
    limiter.take('t1', 'writes');
    const snapshot = client?.snapshot() ?? [];
    client?.apply(snapshot, {
      activeInstances: 2,
      cells: snapshot.map(() => ({ grant: 49, othersCount: 0, othersPrevCount: 0 })),
    });
    const perWindow: number[] = [];
    for (let w = 1; w <= 4; w++) {
      clock.set(WINDOW_START + w * 1000 + 500);
      perWindow.push(takeN(limiter, 200));
    }
    // every window an even share (of R = 100, between the two instances it knew of) of what its own
    // counts leave — never the 2–4 of a pre-sync tenth that no grant ever follows
    for (const admitted of perWindow) assert.ok(admitted >= 30 && admitted <= 55, `${perWindow}`);
  });
});
