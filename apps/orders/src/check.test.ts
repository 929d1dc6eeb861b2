/** The checker against the reference service: zero false alarms, few skips, deterministic, within its request budget. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { runChecks } from '@steadfast/check';
import { type RunningSandbox, startSandbox } from '@steadfast/sandbox';
import { insertDeadLetter } from '@steadfast/toolkit/jobs';
import { pinNewTenant } from './api-version-pins.ts';
import { NEWEST_VERSION } from './api-versions.ts';
import { buildTestApp, createTestWorker, signedWebhookHeaders, type TestApp } from './testing.ts';

const SECRET = `whsec_${Buffer.from('steadfast-check-fixture-secret-32').toString('base64')}`;

describe('against the reference service', () => {
  let sandbox: RunningSandbox;
  let app: TestApp;
  let worker: ReturnType<typeof createTestWorker>;
  let url: string;
  before(async () => {
    sandbox = await startSandbox({ chargeProcessingMs: 0 });
    app = await buildTestApp({
      // generous partner deadlines: on a loaded CI machine the in-process sandbox is slow, and an honest 504
      // dependency-timeout would be counted as a server error by the contract check
      partners: { urls: sandbox.urls, tuning: { pricing: { attemptTimeoutMs: 2000, deadlineMs: 8000 } } },
      webhooks: { secrets: [SECRET] },
    });
    // the worker settles payments, so long-running operations reach a terminal state
    worker = createTestWorker(app);
    await worker.start();
    url = await app.server.listen({ port: 0, host: '127.0.0.1' });
    // the checker reads /openapi.json, the newest version's document: its tenants speak that version
    await pinNewTenant(app.db.pool, app.tenant.tenantId, NEWEST_VERSION);
    // fixtures for the operator actions (each replay or discard uses one up): webhook deliveries
    // (this test's worker does not process the inbox, so they stay put) and dead letters
    for (let i = 0; i < 10; i++) {
      const payload = JSON.stringify({
        id: `evt_check_${i}`,
        type: 'charge.succeeded',
        createdAt: new Date().toISOString(),
        data: { charge: { id: `ch_unknown_${i}`, status: 'succeeded' } },
      });
      const delivered = await app.inject({
        method: 'POST',
        url: '/webhooks/payments',
        apiKey: null,
        headers: { 'content-type': 'application/json', ...signedWebhookHeaders(SECRET, payload) },
        payload,
      });
      assert.equal(delivered.statusCode, 200);
    }
    for (let i = 0; i < 20; i++)
      await insertDeadLetter(app.db.pool, {
        id: `dl_${'0'.repeat(24)}${String(i).padStart(2, '0')}`,
        tenantId: app.tenant.tenantId,
        task: 'checker-fixture',
        payload: { n: i },
        attempts: 3,
        errorCategory: 'dependency',
        errorMessage: 'a fixture for steadfast-check',
        firstFailedAt: new Date().toISOString(),
      });
  });
  after(async () => {
    await worker.stop();
    await app.close();
    await sandbox.close();
  });

  test('every check that applies passes, at most 10 % are skipped, each with a reason', async () => {
    const other = await app.createTenant();
    await pinNewTenant(app.db.pool, other.tenantId, NEWEST_VERSION);
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
    const skipped = report.checks.filter((x) => x.status === 'skipped');
    assert.ok(
      skipped.length <= report.checks.length * 0.1,
      `${skipped.length} of ${report.checks.length} skipped:\n${skipped.map((c) => `${c.id} ${c.operation}: ${c.detail}`).join('\n')}`,
    );
    for (const c of skipped) assert.ok(c.detail.length > 5, `${c.id} skipped without a reason`);
    for (const id of [
      'idempotency.storm',
      'idempotency.lost-response',
      'idempotency.tenant-scope',
      'idempotency.cross-route',
      'idempotency.reuse',
      'concurrency.lost-update',
      'auth.missing',
      'auth.unknown-key',
      'sequence.lifecycle',
      'sequence.use-after-free',
      'lro.accepted',
      'lro.terminal',
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
