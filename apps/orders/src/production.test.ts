/**
 * Production mode as an operator meets it: a role that would generate a secret
 * or fall back to the embedded database refuses to start (exit 1, one line naming
 * the variable); outside production the webhook secret is generated once and kept
 * in the database, so every replica on it verifies with the same one; production
 * creates no demo tenant with a generated key.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { createIdGenerator } from '@steadfast/toolkit/ids';
import { createTestDatabase, type TestDatabase } from '@steadfast/toolkit/testing';
import { loadConfig } from './config.ts';
import { ensureDemoTenant } from './runtime/demo-tenant.ts';
import { readHomeState } from './runtime/home.ts';
import { makeHome, runCli } from './runtime/spawn-cli.ts';
import { homeWebhookSecrets, sharedWebhookSecrets } from './runtime/webhook-secret.ts';

describe('production mode', () => {
  let db: TestDatabase;
  const homes: string[] = [];
  const home = () => {
    const dir = makeHome();
    homes.push(dir);
    return dir;
  };
  before(async () => {
    db = await createTestDatabase();
  });
  after(async () => {
    for (const dir of homes) fs.rmSync(dir, { recursive: true, force: true });
    await db.close();
  });

  test('a role without the secret it would generate, or without DATABASE_URL, exits 1 naming it and starts nothing', async () => {
    const runs = await Promise.all([
      runCli(['web'], { NODE_ENV: 'production', DATABASE_URL: db.url, STEADFAST_HOME: home(), PORT: '0' }),
      runCli(['worker'], { STEADFAST_ENV: 'production', STEADFAST_HOME: home() }),
      runCli(['migrate'], { STEADFAST_ENV: 'production', STEADFAST_HOME: home() }),
      runCli(['sandbox'], { NODE_ENV: 'production', STEADFAST_HOME: home(), SANDBOX_PORT: '0' }),
    ]);
    const expected = ['PAYMENTS_WEBHOOK_SECRET', 'DATABASE_URL', 'DATABASE_URL', 'PAYMENTS_WEBHOOK_SECRET'];
    runs.forEach((run, i) => {
      assert.equal(run.code, 1, run.stderr);
      assert.equal(run.stdout, '');
      assert.match(
        run.stderr,
        new RegExp(`^steadfast: bad configuration: ${expected[i]}: is required in production`),
      );
      assert.equal(run.stderr.trimEnd().split('\n').length, 1, run.stderr);
    });
    for (const dir of homes) assert.deepEqual(fs.readdirSync(dir), [], 'no cluster, no generated secret');
    const { rows } = await db.pool.query('SELECT count(*)::int AS n FROM steadfast_generated_secrets');
    assert.equal(rows[0].n, 0);
  });

  test('steadfast config check: masked configuration, exit 1 on problems, 0 when complete', async () => {
    const url = new URL(db.url);
    url.password = 'sekrit-password';
    const base = { STEADFAST_ENV: 'production', DATABASE_URL: url.toString(), STEADFAST_HOME: home() };
    const failing = await runCli(['config', 'check', '--role', 'web'], base);
    assert.equal(failing.code, 1);
    assert.ok(!failing.stdout.includes('sekrit-password'), 'the password is masked');
    assert.equal(JSON.parse(failing.stdout).databaseUrl, url.toString().replace('sekrit-password', '****'));
    assert.match(
      failing.stderr,
      /^steadfast config check: PAYMENTS_WEBHOOK_SECRET: is required in production/,
    );
    const secret = `whsec_${Buffer.from('a-production-secret-32-bytes-long').toString('base64')}`;
    const ok = await runCli(['config', 'check'], { ...base, PAYMENTS_WEBHOOK_SECRET: secret });
    assert.equal(ok.code, 0, ok.stderr);
    assert.ok(!ok.stdout.includes(secret.slice(6, 20)), 'the secret is masked');
    assert.equal(JSON.parse(ok.stdout).paymentsWebhookSecret, 'whsec_****');
    const usage = await runCli(['config', 'check', '--role', 'nope'], base);
    assert.equal(usage.code, 2);
  });

  test('outside production two replicas on one database (different homes) agree on one generated secret', async () => {
    const [a, b] = [loadConfig({ STEADFAST_HOME: home() }), loadConfig({ STEADFAST_HOME: home() })];
    const [first, second] = await Promise.all([
      sharedWebhookSecrets(db.pool, a),
      sharedWebhookSecrets(db.pool, b),
    ]);
    assert.match(first[0], /^whsec_/);
    assert.deepEqual(second, first);
    // mirrored into each home: a `steadfast sandbox` on that home signs with it
    assert.deepEqual(homeWebhookSecrets(b), first);
    assert.equal(readHomeState(a.home).paymentsWebhookSecret, first[0]);
    const configured = `whsec_${Buffer.from('the-configured-secret-32-bytes!!').toString('base64')}`;
    const given = loadConfig({ STEADFAST_HOME: home(), PAYMENTS_WEBHOOK_SECRET: configured });
    assert.deepEqual(await sharedWebhookSecrets(db.pool, given), [configured], 'a configured one wins');
  });

  test('production creates no demo tenant unless STEADFAST_DEMO_API_KEY is given', async () => {
    const ids = createIdGenerator();
    const prod = loadConfig({ STEADFAST_ENV: 'production', STEADFAST_HOME: home() });
    assert.equal(await ensureDemoTenant(db.pool, ids, prod), undefined);
    const tenants = await db.pool.query(`SELECT count(*)::int AS n FROM tenants WHERE id = 'ten_demo'`);
    assert.equal(tenants.rows[0].n, 0);
    assert.equal(readHomeState(prod.home).demoApiKey, undefined, 'no key generated');
    const key = 'prod_demo_key_0123456789abcdef';
    const given = loadConfig({
      STEADFAST_ENV: 'production',
      STEADFAST_HOME: home(),
      STEADFAST_DEMO_API_KEY: key,
    });
    assert.equal(await ensureDemoTenant(db.pool, ids, given), key);
  });
});
