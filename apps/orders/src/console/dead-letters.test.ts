/** Dead letters from the console: inspect, replay, discard, bulk replay with a count and a confirmation — CSRF-guarded and audited. */
import assert from 'node:assert/strict';
import { after, before, beforeEach, test } from 'node:test';
import { insertDeadLetter } from '@steadfast/toolkit/jobs';
import { buildTestApp, type TestApp } from '../testing.ts';
import { type ConsoleVisitor, consoleVisitor } from './testing.ts';

let app: TestApp;
let visitor: ConsoleVisitor;
before(async () => {
  app = await buildTestApp();
  visitor = consoleVisitor(app.server);
  assert.equal((await visitor.signIn(app.operatorKey)).statusCode, 303);
});
after(() => app.close());
beforeEach(async () => {
  await app.db.pool.query('TRUNCATE dead_letters, admin_audit');
  await app.db.pool.query('DELETE FROM graphile_worker._private_jobs');
});

async function deadLetter(task = 'take-payment', extra: { error?: string; failedAgoS?: number } = {}) {
  const id = app.built.ids.next('dl');
  await insertDeadLetter(app.db.pool, {
    id,
    tenantId: app.tenant.tenantId,
    task,
    payload: { orderId: 'ord_x', note: '<b>bold</b>' },
    attempts: 5,
    errorCategory: 'transient',
    errorMessage: extra.error ?? 'payments answered 503',
    firstFailedAt: new Date().toISOString(),
  });
  if (extra.failedAgoS)
    await app.db.pool.query(
      `UPDATE dead_letters SET last_failed_at = now() - make_interval(secs => $2) WHERE id = $1`,
      [id, extra.failedAgoS],
    );
  return id;
}
const statusOf = async (id: string) =>
  (await app.db.pool.query('SELECT status FROM dead_letters WHERE id = $1', [id])).rows[0]?.status;
const jobsWithKey = async (key: string) =>
  (
    await app.db.pool.query('SELECT count(*)::int AS n FROM graphile_worker._private_jobs WHERE key = $1', [
      key,
    ])
  ).rows[0].n;
const audit = async () =>
  (await app.db.pool.query('SELECT actor, via, action, target, detail FROM admin_audit ORDER BY id')).rows;

test('inspect shows the payload escaped; replay needs the CSRF token, requeues once and is audited', async () => {
  const id = await deadLetter('take-payment', { error: '<script>alert(1)</script>' });
  const page = await visitor.get(`/console/dead-letters/${id}`);
  assert.equal(page.statusCode, 200);
  assert.match(page.body, /&lt;script&gt;alert\(1\)&lt;\/script&gt;/);
  assert.doesNotMatch(page.body, /<script>alert/);
  assert.match(page.body, /&lt;b&gt;bold&lt;\/b&gt;/);

  const forged = await visitor.post(`/console/dead-letters/${id}/replay`, { _csrf: 'nope' });
  assert.equal(forged.statusCode, 403);
  assert.equal(await statusOf(id), 'dead', 'nothing changed without the token');
  assert.equal(await jobsWithKey(`replay:${id}`), 0);

  const replayed = await visitor.post(`/console/dead-letters/${id}/replay`, {
    _csrf: visitor.lastCsrf ?? '',
  });
  assert.equal(replayed.statusCode, 303);
  assert.equal(replayed.headers.location, `/console/dead-letters?done=replayed&id=${id}`);
  assert.equal(await statusOf(id), 'replayed');
  assert.equal(await jobsWithKey(`replay:${id}`), 1);
  const after = await visitor.get(String(replayed.headers.location));
  assert.match(after.body, new RegExp(`Dead letter ${id} replayed`));

  const again = await visitor.post(`/console/dead-letters/${id}/replay`, { _csrf: visitor.lastCsrf ?? '' });
  assert.equal(again.headers.location, `/console/dead-letters?error=closed&id=${id}`);
  assert.equal(await jobsWithKey(`replay:${id}`), 1, 'replaying twice runs once');
  assert.deepEqual(await audit(), [
    {
      actor: `operator:${app.operatorId}`,
      via: 'console',
      action: 'dead-letter.replay',
      target: id,
      detail: { task: 'take-payment' },
    },
  ]);
});

test('an unknown dead letter is a clear message, not an error page', async () => {
  const unknown = await visitor.post('/console/dead-letters/dl_0000000000000000000000000/replay', {
    _csrf: visitor.lastCsrf ?? '',
  });
  assert.equal(unknown.statusCode, 303);
  const page = await visitor.get(String(unknown.headers.location));
  assert.match(page.body, /No dead letter dl_0000000000000000000000000/);
  const inspect = await visitor.get('/console/dead-letters/dl_nope');
  assert.equal(inspect.statusCode, 303);
  assert.deepEqual(await audit(), []);
});

test('discard needs a reason; with one it closes the dead letter and audits the reason', async () => {
  const id = await deadLetter('send-notification');
  await visitor.get(`/console/dead-letters/${id}`);
  const noReason = await visitor.post(`/console/dead-letters/${id}/discard`, {
    _csrf: visitor.lastCsrf ?? '',
    reason: ' ',
  });
  assert.match(String(noReason.headers.location), /error=reason-needed/);
  assert.equal(await statusOf(id), 'dead');
  const done = await visitor.post(`/console/dead-letters/${id}/discard`, {
    _csrf: visitor.lastCsrf ?? '',
    reason: 'partner confirmed it was sent',
  });
  assert.match(String(done.headers.location), /done=discarded/);
  assert.equal(await statusOf(id), 'discarded');
  const [entry] = await audit();
  assert.equal(entry.action, 'dead-letter.discard');
  assert.equal(entry.detail.reason, 'partner confirmed it was sent');
});

test('bulk replay: counts the matching ones, asks for confirmation, then replays exactly those', async () => {
  const recent = [await deadLetter('take-payment'), await deadLetter('take-payment')];
  const old = await deadLetter('take-payment', { failedAgoS: 7200 });
  const otherTask = await deadLetter('send-notification');
  const since = new Date(Date.now() - 3600_000).toISOString().slice(0, 16);
  await visitor.get('/console/dead-letters');
  const confirm = await visitor.post('/console/dead-letters/bulk-replay', {
    _csrf: visitor.lastCsrf ?? '',
    task: 'take-payment',
    since,
  });
  assert.equal(confirm.statusCode, 200);
  assert.match(confirm.body, /data-count="2"/);
  assert.match(confirm.body, / UTC<\/b>/);
  for (const id of [...recent, old, otherTask])
    assert.equal(await statusOf(id), 'dead', 'nothing replayed before confirming');
  // one more fails while the operator reads the count: it is not part of what was confirmed
  const later = await deadLetter('take-payment');
  await app.db.pool.query(
    "UPDATE dead_letters SET last_failed_at = now() + interval '1 second' WHERE id = $1",
    [later],
  );
  const until = /name="until" value="([^"]+)"/.exec(confirm.body)?.[1] ?? '';
  assert.match(until, /^\d{4}-\d{2}-\d{2}T/);

  const done = await visitor.post('/console/dead-letters/bulk-replay', {
    _csrf: visitor.lastCsrf ?? '',
    task: 'take-payment',
    since,
    until,
    confirm: 'yes',
  });
  assert.equal(done.headers.location, '/console/dead-letters?done=bulk&id=2&task=take-payment');
  assert.deepEqual(await Promise.all([...recent, old, otherTask, later].map(statusOf)), [
    'replayed',
    'replayed',
    'dead',
    'dead',
    'dead',
  ]);
  for (const id of recent) assert.equal(await jobsWithKey(`replay:${id}`), 1);
  const [entry] = await audit();
  assert.equal(entry.action, 'dead-letter.replay-bulk');
  assert.equal(entry.detail.count, 2);
  assert.deepEqual([...entry.detail.ids].sort(), [...recent].sort());

  await app.db.pool.query("UPDATE dead_letters SET status = 'discarded' WHERE id = $1", [later]);
  const nothing = await visitor.post('/console/dead-letters/bulk-replay', {
    _csrf: visitor.lastCsrf ?? '',
    task: 'take-payment',
    since,
  });
  assert.match(String(nothing.headers.location), /error=nothing/);
  assert.match((await visitor.get(String(nothing.headers.location))).body, /Nothing to replay/);
  const invalid = await visitor.post('/console/dead-letters/bulk-replay', {
    _csrf: visitor.lastCsrf ?? '',
    task: 'take-payment',
    since: 'yesterday',
  });
  assert.match(String(invalid.headers.location), /error=invalid/);
});

test('an API replay by an operator or a tenant is audited too, with who and how', async () => {
  const id = await deadLetter('take-payment');
  const replay = await app.inject({
    method: 'POST',
    url: `/v1/dead-letters/${id}/replay`,
    apiKey: app.operatorKey,
  });
  assert.equal(replay.statusCode, 200);
  const second = await deadLetter('take-payment');
  const byTenant = await app.inject({
    method: 'POST',
    url: `/v1/dead-letters/${second}/discard`,
    payload: { reason: 'dup' },
  });
  assert.equal(byTenant.statusCode, 200);
  assert.deepEqual(
    (await audit()).map((a) => [a.actor, a.via, a.action, a.target]),
    [
      [`operator:${app.operatorId}`, 'api', 'dead-letter.replay', id],
      [`tenant:${app.tenant.tenantId}`, 'api', 'dead-letter.discard', second],
    ],
  );
  const page = await visitor.get('/console/audit');
  assert.match(page.body, new RegExp(`tenant:${app.tenant.tenantId}`));
});

test('no console action changes anything without the session CSRF token (missing or wrong)', async () => {
  const id = await deadLetter('take-payment');
  const since = new Date(Date.now() - 3600_000).toISOString().slice(0, 16);
  const forms: Array<[string, Record<string, string>]> = [
    [`/console/dead-letters/${id}/replay`, {}],
    [`/console/dead-letters/${id}/discard`, { reason: 'x' }],
    ['/console/dead-letters/bulk-replay', { task: 'take-payment', since }],
    [
      '/console/dead-letters/bulk-replay',
      { task: 'take-payment', since, until: new Date().toISOString(), confirm: 'yes' },
    ],
    ['/console/sign-out', {}],
  ];
  for (const [url, form] of forms) {
    for (const token of [undefined, 'wrong-token']) {
      const answer = await visitor.post(url, token === undefined ? form : { ...form, _csrf: token });
      assert.equal(answer.statusCode, 403, `${url} with ${token ?? 'no token'}`);
    }
  }
  assert.equal(await statusOf(id), 'dead');
  assert.equal(await jobsWithKey(`replay:${id}`), 0);
  assert.deepEqual(await audit(), []);
  assert.equal((await visitor.get('/console/audit')).statusCode, 200, 'still signed in');
});
