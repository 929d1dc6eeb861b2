/** The checker against the reference service: zero false alarms, deterministic, within its request budget. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { runChecks } from '@steadfast/check';
import { type RunningSandbox, startSandbox } from '@steadfast/sandbox';
import { buildTestApp, type TestApp } from './testing.ts';

describe('against the reference service', () => {
  let sandbox: RunningSandbox;
  let app: TestApp;
  let url: string;
  before(async () => {
    sandbox = await startSandbox({ chargeProcessingMs: 0 });
    app = await buildTestApp({ partners: { urls: sandbox.urls } });
    url = await app.server.listen({ port: 0, host: '127.0.0.1' });
  });
  after(async () => {
    await app.close();
    await sandbox.close();
  });

  test('every check passes or is skipped with a reason', async () => {
    const other = await app.createTenant();
    // docs:start run-checks
    const report = await runChecks({
      baseUrl: url,
      apiKey: app.tenant.apiKey,
      otherApiKey: other.apiKey,
      seed: 3,
    });
    const failed = report.checks.filter((c) => c.status === 'failed');
    // docs:end run-checks
    assert.deepEqual(
      failed.map((c) => `${c.id} ${c.operation}: ${c.detail}`),
      [],
    );
    assert.ok(report.summary.passed > 40, `${report.summary.passed} passed`);
    for (const c of report.checks.filter((x) => x.status === 'skipped'))
      assert.ok(c.detail.length > 5, `${c.id} skipped without a reason`);
    for (const id of [
      'idempotency.storm',
      'idempotency.lost-response',
      'idempotency.tenant-scope',
      'concurrency.lost-update',
      'problems.format',
    ]) {
      assert.ok(
        report.checks.some((c) => c.id === id && c.status === 'passed'),
        `${id} ran and passed somewhere`,
      );
    }
  });

  test('the same seed sends the same requests; the request budget is respected', async () => {
    const a = await runChecks({ baseUrl: url, apiKey: app.tenant.apiKey, seed: 9, only: ['contract'] });
    const b = await runChecks({ baseUrl: url, apiKey: app.tenant.apiKey, seed: 9, only: ['contract'] });
    const bodies = (r: typeof a) => r.checks.flatMap((c) => c.evidence.map((e) => e.request.body));
    assert.deepEqual(bodies(a), bodies(b));
    assert.deepEqual(
      a.checks.map((c) => `${c.id}:${c.status}`),
      b.checks.map((c) => `${c.id}:${c.status}`),
    );
    const small = await runChecks({ baseUrl: url, apiKey: app.tenant.apiKey, maxRequests: 15 });
    assert.ok(Object.values(small.requestsByGroup).reduce((x, y) => x + y, 0) <= 15);
    assert.ok(small.checks.some((c) => c.id.endsWith('.budget')));
  });
});
