/**
 * Rate limits of the Orders API as a client meets them: per-tenant quotas by
 * route class with the RateLimit fields, replays and long-polls that do not
 * spend the budget of new work, and one quota shared by two web processes on
 * one database. Load shedding is in shedding.test.ts.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, test } from 'node:test';
import { eventually } from '@steadfast/toolkit/testing';
import { buildTestApp, createOrder, ORDER_BODY } from './testing.ts';

const LIMITS = { writes: 3, reads: 5, 'long-polls': 2 };
const closers: (() => Promise<void>)[] = [];
after(async () => {
  for (const close of closers.reverse()) await close();
});

async function limitedApp(limits = LIMITS, windowS = 60) {
  const app = await buildTestApp({ traffic: { rateLimits: { limits, windowS } } });
  closers.push(() => app.close());
  return app;
}

test('writes over the quota get 429 rate-limited with Retry-After; every answer says where the tenant stands', async () => {
  const app = await limitedApp();
  const answers = [];
  for (let i = 0; i < 4; i++) {
    answers.push(await app.inject({ method: 'POST', url: '/v1/orders', payload: ORDER_BODY }));
  }
  assert.deepEqual(
    answers.map((r) => r.statusCode),
    [201, 201, 201, 429],
  );
  assert.equal(answers[0].headers['ratelimit-policy'], '"writes";q=3;w=60');
  assert.match(String(answers[0].headers.ratelimit), /^"writes";r=2;t=\d+$/);
  assert.match(String(answers[2].headers.ratelimit), /^"writes";r=0;t=\d+$/);
  const limited = answers[3];
  assert.match(String(limited.headers['content-type']), /^application\/problem\+json/);
  const problem = limited.json();
  assert.equal(problem.type, '/problems/rate-limited');
  assert.equal(problem.category, 'rate-limited');
  assert.equal(problem.retryable, true);
  const retryAfter = Number(limited.headers['retry-after']);
  // a sliding window: the wait can reach two windows when the previous one was full too
  assert.ok(retryAfter >= 1 && retryAfter <= 120, `Retry-After ${limited.headers['retry-after']}`);
  assert.match(String(limited.headers.ratelimit), /^"writes";r=0;t=\d+$/);
  // nothing was written by the refused request
  const { rows } = await app.db.pool.query('SELECT count(*)::int AS n FROM orders');
  assert.equal(rows[0].n, 3);
});

test('quotas are per tenant and per route class', async () => {
  const app = await limitedApp();
  for (let i = 0; i < 3; i++) await createOrder(app);
  assert.equal(
    (await app.inject({ method: 'POST', url: '/v1/orders', payload: ORDER_BODY })).statusCode,
    429,
  );
  // reads are their own class
  const read = await app.inject({ method: 'GET', url: '/v1/orders' });
  assert.equal(read.statusCode, 200);
  assert.equal(read.headers['ratelimit-policy'], '"reads";q=5;w=60');
  // another tenant has its own budget
  const other = await app.createTenant({ name: 'Tenant B' });
  const theirs = await app.inject({
    method: 'POST',
    url: '/v1/orders',
    payload: ORDER_BODY,
    apiKey: other.apiKey,
  });
  assert.equal(theirs.statusCode, 201);
  assert.match(String(theirs.headers.ratelimit), /^"writes";r=2;t=\d+$/);
  // health and docs are not limited and carry no RateLimit fields
  const health = await app.inject({ method: 'GET', url: '/healthz', apiKey: null });
  assert.equal(health.statusCode, 200);
  assert.equal(health.headers['ratelimit-policy'], undefined);
});

test('an idempotent replay gives its unit back: retries never starve new work', async () => {
  const app = await limitedApp();
  const key = randomUUID();
  const first = await app.inject({
    method: 'POST',
    url: '/v1/orders',
    payload: ORDER_BODY,
    idempotencyKey: key,
  });
  assert.equal(first.statusCode, 201);
  for (let i = 0; i < 5; i++) {
    const replay = await app.inject({
      method: 'POST',
      url: '/v1/orders',
      payload: ORDER_BODY,
      idempotencyKey: key,
    });
    assert.equal(replay.statusCode, 201);
    assert.equal(replay.headers['idempotent-replayed'], 'true');
  }
  // 1 of 3 spent: two new creates still fit, the third does not
  assert.equal(
    (await app.inject({ method: 'POST', url: '/v1/orders', payload: ORDER_BODY })).statusCode,
    201,
  );
  assert.equal(
    (await app.inject({ method: 'POST', url: '/v1/orders', payload: ORDER_BODY })).statusCode,
    201,
  );
  assert.equal(
    (await app.inject({ method: 'POST', url: '/v1/orders', payload: ORDER_BODY })).statusCode,
    429,
  );
});

test('Prefer: wait polls spend the long-polls quota, not the reads quota', async () => {
  const app = await limitedApp();
  const order = await createOrder(app);
  const poll = () =>
    app.inject({ method: 'GET', url: `/v1/orders/${order.id}`, headers: {} }).then(() =>
      app.inject({
        method: 'GET',
        url: `/v1/operations/${app.built.ids.next('op')}`,
        headers: { prefer: 'wait=1' },
      }),
    );
  // each round: one read of the order and one long-poll (404: no such operation)
  const first = await poll();
  assert.equal(first.statusCode, 404);
  assert.equal(first.headers['ratelimit-policy'], '"long-polls";q=2;w=60');
  assert.equal((await poll()).statusCode, 404);
  const third = await poll();
  assert.equal(third.statusCode, 429);
  assert.match(String(third.headers.ratelimit), /^"long-polls";r=0/);
  // reads: 3 spent of 5, so reads still work
  const read = await app.inject({ method: 'GET', url: `/v1/orders/${order.id}` });
  assert.equal(read.statusCode, 200);
  assert.match(String(read.headers.ratelimit), /^"reads";r=1;/);
});

test('two web processes on one database share a tenant quota within 1.1 x', async () => {
  const limit = 40;
  const traffic = { rateLimits: { limits: { ...LIMITS, writes: limit }, windowS: 1 } };
  const first = await buildTestApp({ traffic });
  const second = await buildTestApp({ database: first.db, traffic });
  // the second shares the first's database: it closes its server only, the first closes both
  closers.push(
    () => first.close(),
    () => second.server.close(),
  );
  const urls = [
    await first.server.listen({ port: 0, host: '127.0.0.1' }),
    await second.server.listen({ port: 0, host: '127.0.0.1' }),
  ];
  // over real HTTP: in-process inject of cheap 429s would starve the other app's I/O and timers
  const deadline = Date.now() + 3000;
  let admitted = 0;
  let refused = 0;
  const hammer = async (base: string) => {
    while (Date.now() < deadline) {
      const r = await fetch(`${base}/v1/orders`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${first.tenant.apiKey}`,
          'content-type': 'application/json',
          'idempotency-key': randomUUID(),
        },
        body: JSON.stringify(ORDER_BODY),
      });
      await r.arrayBuffer();
      if (r.status === 201) admitted++;
      else if (r.status === 429) refused++;
      else assert.fail(`unexpected ${r.status}`);
    }
  };
  // refusals are held (up to half their Retry-After): 8 sequential clients per instance keep
  // knocking often enough that the quota, not the clients' pace, decides how many get in
  await Promise.all(
    Array.from({ length: 8 }, () => urls)
      .flat()
      .map(hammer),
  );
  assert.ok(refused > 0, 'the quota was never reached: the test proves nothing');
  // 3 s touch at most 4 windows (the first partly); the sliding window carries part of each into the next
  const bound = 1.1 * limit * 4;
  assert.ok(admitted <= bound, `admitted ${admitted} > ${bound} across two instances`);
  // the floor only guards against a quota far below its limit. What gets in depends on how often
  // the instances sync (each spends a granted share between syncs), so it falls with load: alone
  // 119-123, a loaded 2-core full suite 76-79, and once in CI 52 (with no sync at all for a whole
  // window each instance fails open with an even share). One window's worth over about four
  // windows leaves room below the slowest run seen and still catches a quota stuck far too low
  assert.ok(
    admitted >= limit,
    `admitted only ${admitted} (${refused} refused): the quota is far below its limit`,
  );
  const { rows } = await first.db.pool.query(
    'SELECT count(DISTINCT instance)::int AS n FROM rate_limit_counts WHERE partition = $1',
    [first.tenant.tenantId],
  );
  assert.equal(rows[0].n, 2, 'both instances published their counts');
});
