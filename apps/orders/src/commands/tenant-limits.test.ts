/** `steadfast tenant limits`: a tenant's override reaches a running service without a restart; bad input is refused. */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { eventually } from '@steadfast/toolkit/testing';
import { runCli } from '../runtime/spawn-cli.ts';
import { buildTestApp, ORDER_BODY } from '../testing.ts';

const app = await buildTestApp({
  traffic: { rateLimits: { limits: { writes: 100, reads: 300, 'long-polls': 30 }, windowS: 60 } },
});
after(() => app.close());
const env = { DATABASE_URL: app.db.url };

const policyOfCreate = async () =>
  (await app.inject({ method: 'POST', url: '/v1/orders', payload: ORDER_BODY })).headers['ratelimit-policy'];

test('an override set from the CLI is applied by the running service, and cleared again', async () => {
  const { tenantId } = app.tenant;
  assert.equal(await policyOfCreate(), '"writes";q=100;w=60');
  const set = await runCli(['tenant', 'limits', tenantId, 'writes=7', 'reads=50/10'], env);
  assert.equal(set.code, 0, set.stderr);
  const shown = JSON.parse(set.stdout.trim());
  assert.deepEqual(shown.limits.writes, { limit: 7, windowS: 1, source: 'override' });
  assert.deepEqual(shown.limits.reads, { limit: 50, windowS: 10, source: 'override' });
  assert.equal(shown.limits['long-polls'].source, 'default');
  // the service reloads overrides every few seconds: no restart, no per-request lookup
  await eventually(async () => (await policyOfCreate()) === '"writes";q=7;w=1', { timeoutMs: 15_000 });
  const cleared = await runCli(['tenant', 'limits', tenantId, '--clear', 'writes'], env);
  assert.equal(cleared.code, 0, cleared.stderr);
  assert.equal(JSON.parse(cleared.stdout.trim()).limits.writes.source, 'default');
  await eventually(async () => (await policyOfCreate()) === '"writes";q=100;w=60', { timeoutMs: 15_000 });
  // another tenant never saw the override
  const other = await app.createTenant({ name: 'Tenant B' });
  const theirs = await app.inject({
    method: 'POST',
    url: '/v1/orders',
    payload: ORDER_BODY,
    apiKey: other.apiKey,
  });
  assert.equal(theirs.headers['ratelimit-policy'], '"writes";q=100;w=60');
});

test('an unknown tenant is an error naming it; bad assignments change nothing', async () => {
  const unknown = await runCli(['tenant', 'limits', 'ten_nobody', 'writes=5'], env);
  assert.equal(unknown.code, 1);
  assert.match(unknown.stderr, /no tenant ten_nobody/);
  const overrides = async () =>
    (
      await app.db.pool.query(
        'SELECT partition, class, "limit", window_s FROM rate_limit_overrides ORDER BY 1, 2',
      )
    ).rows;
  const before = await overrides();
  for (const bad of ['writes=0', 'uploads=5', 'writes=ten']) {
    const refused = await runCli(['tenant', 'limits', app.tenant.tenantId, bad], env);
    assert.equal(refused.code, 2, `${bad}: ${refused.stderr}`);
  }
  assert.deepEqual(await overrides(), before);
});
