/** The console's door: operator keys only, a session cookie with the right attributes, CSRF on every form, sign out, expiry, revocation. */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createApiKey, revokeApiKey } from '@steadfast/toolkit/auth';
import { buildTestApp, type TestApp } from '../testing.ts';
import { criticalityOf } from '../traffic.ts';
import { consoleVisitor, csrfOf } from './testing.ts';

let app: TestApp;
before(async () => {
  app = await buildTestApp({ trustProxy: true });
});
after(() => app.close());

test('the sign-in page sets a short-lived sign-in token and works without a script', async () => {
  const visitor = consoleVisitor(app.server);
  const page = await visitor.get('/console');
  assert.equal(page.statusCode, 200);
  assert.match(String(page.headers['content-type']), /^text\/html/);
  assert.match(page.body, /<form method="post" action="\/console\/sign-in">/);
  assert.doesNotMatch(page.body, /<script/);
  assert.ok(visitor.cookies.get('steadfast_console_signin'));
  assert.equal(csrfOf(page.body), visitor.cookies.get('steadfast_console_signin'));
  assert.match(String(page.headers['content-security-policy']), /default-src 'none'/);
  assert.equal(page.headers['x-frame-options'], 'DENY');
  assert.equal(page.headers['cache-control'], 'no-store');
});

test('an operator key opens a session: HttpOnly, SameSite=Strict, Path=/console, 30 min; Secure only over https', async () => {
  const visitor = consoleVisitor(app.server);
  const signedIn = await visitor.signIn(app.operatorKey);
  assert.equal(signedIn.statusCode, 303);
  assert.equal(signedIn.headers.location, '/console/dependencies');
  const cookie = signedIn.cookies.find((c) => c.name === 'steadfast_console');
  assert.ok(cookie);
  assert.deepEqual(
    {
      httpOnly: cookie.httpOnly,
      sameSite: cookie.sameSite,
      path: cookie.path,
      maxAge: cookie.maxAge,
      secure: cookie.secure,
    },
    { httpOnly: true, sameSite: 'Strict', path: '/console', maxAge: 1800, secure: undefined },
  );
  const page = await visitor.get('/console/dependencies');
  assert.equal(page.statusCode, 200);
  assert.match(page.body, /Test operator/);
  assert.match(page.body, /action="\/console\/sign-out"/);
  // the stored token is a hash: the cookie's value is nowhere in the table
  const { rows } = await app.db.pool.query('SELECT token_hash, operator_id FROM console_sessions');
  assert.ok(rows.every((r) => !r.token_hash.toString('utf8').includes(cookie.value)));
  assert.ok(rows.some((r) => r.operator_id === app.operatorId));

  const overHttps = consoleVisitor(app.server);
  await overHttps.get('/console', { 'x-forwarded-proto': 'https' });
  const secure = await overHttps.post(
    '/console/sign-in',
    { key: app.operatorKey, _csrf: overHttps.lastCsrf ?? '' },
    { 'x-forwarded-proto': 'https' },
  );
  assert.equal(secure.cookies.find((c) => c.name === 'steadfast_console')?.secure, true);
});

test('a tenant key, a wrong key or a missing sign-in token: the sign-in page with an error, no session', async () => {
  for (const [key, status, message] of [
    [app.tenant.apiKey, 401, /tenant key: the console is for operator keys only/],
    ['sk_not_a_real_key_0123456789abcdef', 401, /not valid/],
    ['', 401, /not valid/],
  ] as const) {
    const visitor = consoleVisitor(app.server);
    const answer = await visitor.signIn(key);
    assert.equal(answer.statusCode, status);
    assert.match(answer.body, message);
    assert.equal(visitor.cookies.get('steadfast_console'), undefined);
  }
  // a sign-in form posted from elsewhere (no sign-in cookie to match) opens nothing, even with a good key
  const forged = consoleVisitor(app.server);
  const answer = await forged.post('/console/sign-in', { key: app.operatorKey, _csrf: 'made-up' });
  assert.equal(answer.statusCode, 403);
  assert.equal(forged.cookies.get('steadfast_console'), undefined);
  const { rows } = await app.db.pool.query(
    "SELECT count(*)::int AS n FROM admin_audit WHERE action = 'console.sign-in' AND actor LIKE 'tenant:%'",
  );
  assert.equal(rows[0].n, 0);
});

test('a forged or expired cookie goes back to sign-in; so does a session whose key was revoked', async () => {
  const forged = consoleVisitor(app.server);
  forged.cookies.set('steadfast_console', 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA');
  const page = await forged.get('/console/work');
  assert.equal(page.statusCode, 303);
  assert.equal(page.headers.location, '/console?expired=1');
  assert.match((await forged.get('/console?expired=1')).body, /Your session ended/);

  const expired = consoleVisitor(app.server);
  await expired.signIn(app.operatorKey);
  assert.equal((await expired.get('/console/work')).statusCode, 200);
  await app.db.pool.query("UPDATE console_sessions SET expires_at = now() - interval '1 second'");
  assert.equal((await expired.get('/console/work')).statusCode, 303);

  const key = await createApiKey(app.db.pool, app.built.ids, { operatorId: app.operatorId, name: 'short' });
  const revoked = consoleVisitor(app.server);
  await revoked.signIn(key.apiKey);
  assert.equal((await revoked.get('/console/audit')).statusCode, 200);
  await revokeApiKey(app.db.pool, { operatorId: app.operatorId }, key.id);
  assert.equal((await revoked.get('/console/audit')).statusCode, 303);
});

test('signing out needs the CSRF token, ends the session and is audited', async () => {
  const visitor = consoleVisitor(app.server);
  await visitor.signIn(app.operatorKey);
  await visitor.get('/console/audit');
  const refused = await visitor.post('/console/sign-out', {});
  assert.equal(refused.statusCode, 403);
  assert.equal((await visitor.get('/console/audit')).statusCode, 200, 'still signed in');
  const token = visitor.cookies.get('steadfast_console');
  const out = await visitor.post('/console/sign-out', { _csrf: visitor.lastCsrf ?? '' });
  assert.equal(out.statusCode, 303);
  assert.equal(out.headers.location, '/console?out=1');
  assert.equal(visitor.cookies.get('steadfast_console'), undefined);
  // the old cookie, replayed, opens nothing
  visitor.cookies.set('steadfast_console', token ?? '');
  assert.equal((await visitor.get('/console/audit')).statusCode, 303);
  const audit = await app.db.pool.query(
    'SELECT actor, via, action FROM admin_audit WHERE actor = $1 ORDER BY id',
    [`operator:${app.operatorId}`],
  );
  assert.ok(audit.rows.some((r) => r.action === 'console.sign-out' && r.via === 'console'));
  assert.ok(audit.rows.some((r) => r.action === 'console.sign-in'));
});

test('console pages are not part of the API document', async () => {
  const spec = (await app.server.inject({ method: 'GET', url: '/openapi.json' })).json();
  assert.deepEqual(
    Object.keys(spec.paths).filter((p) => p.startsWith('/console')),
    [],
  );
});

test('the console is shed last under overload (an operator must get in), like pay and webhook intake', () => {
  for (const url of ['/console', '/console/dependencies', '/console/dead-letters/:id/replay'])
    assert.equal(criticalityOf({ method: 'GET', url }), 'critical');
  assert.equal(criticalityOf({ method: 'GET', url: '/docs' }), 'sheddable');
});

test('failed sign-ins count against the address: beyond the limit a 429 page, no lookup, other addresses unaffected', async () => {
  const throttled = await buildTestApp({ trustProxy: true, authFailures: { max: 2, windowS: 60 } });
  try {
    const from = (ip: string) => {
      const visitor = consoleVisitor(throttled.server);
      return {
        visitor,
        signIn: async (key: string) => {
          await visitor.get('/console', { 'x-forwarded-for': ip });
          return visitor.post(
            '/console/sign-in',
            { key, _csrf: visitor.lastCsrf ?? '' },
            { 'x-forwarded-for': ip },
          );
        },
      };
    };
    const attacker = from('203.0.113.7');
    assert.equal((await attacker.signIn('sk_wrong_wrong_wrong_wrong_1')).statusCode, 401);
    assert.equal(
      (await attacker.signIn(throttled.tenant.apiKey)).statusCode,
      401,
      'a tenant key is a failure too',
    );
    const refused = await attacker.signIn(throttled.operatorKey);
    assert.equal(refused.statusCode, 429);
    assert.match(refused.body, /Too many failed sign-ins/);
    assert.ok(Number(refused.headers['retry-after']) >= 1);
    assert.equal(attacker.visitor.cookies.get('steadfast_console'), undefined);
    const operator = from('198.51.100.2');
    assert.equal((await operator.signIn(throttled.operatorKey)).statusCode, 303);
  } finally {
    await throttled.close();
  }
});

test('a redirect names its message by code: unknown codes and free text in the URL show nothing', async () => {
  const visitor = consoleVisitor(app.server);
  await visitor.signIn(app.operatorKey);
  const proto = await visitor.get('/console/dead-letters?done=__proto__');
  assert.equal(proto.statusCode, 200);
  assert.doesNotMatch(proto.body, /class="flash/);
  const text = await visitor.get(
    '/console/dead-letters?error=not-found&id=Call%20support%20at%20evil.example',
  );
  assert.match(text.body, /No dead letter \./);
  assert.doesNotMatch(text.body, /evil\.example/);
});
