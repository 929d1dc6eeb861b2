/**
 * steadfast-check's fault-injection mode and webhook checks against the
 * reference service: the app's pricing and payments partners point at the
 * checker's fault proxies, which forward to the in-process sandbox. Zero false
 * alarms: every `faults` check passes or is skipped with a reason.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import { runChecks, runWebhookChecks } from '@steadfast/check';
import { type RunningSandbox, startSandbox } from '@steadfast/sandbox';
import { buildTestApp, createTestWorker, type TestApp } from './testing.ts';

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

const TEARDOWN_STEP_MS = 60_000;

/**
 * One teardown step, bounded: past the limit it fails naming the step, and the
 * file's process exits with 1 a few seconds later (once the failure is
 * reported), since whatever hangs would keep it alive. Not --test-force-exit:
 * under process isolation that drops test results silently (nodejs/node#64833).
 */
async function step(name: string, run: () => Promise<void>): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      setTimeout(() => process.exit(1), 5000).unref();
      reject(new Error(`check-faults teardown: ${name} did not settle within ${TEARDOWN_STEP_MS / 1000} s`));
    }, TEARDOWN_STEP_MS);
  });
  try {
    await Promise.race([run(), limit]);
  } finally {
    clearTimeout(timer);
  }
}

describe('steadfast-check fault-proxy and webhooks against the reference service', () => {
  let sandbox: RunningSandbox;
  let app: TestApp;
  let worker: ReturnType<typeof createTestWorker>;
  let url: string;
  const ports = { pricing: 0, payments: 0 };
  const secret = `whsec_${Buffer.from('check-faults-test-secret-0123456').toString('base64')}`;
  before(async () => {
    sandbox = await startSandbox({ chargeProcessingMs: 0 });
    ports.pricing = await freePort();
    ports.payments = await freePort();
    app = await buildTestApp({
      partners: {
        urls: {
          ...sandbox.urls,
          // the proxies are not listening yet: the app must merely tolerate that until the run starts
          pricingUrl: `http://127.0.0.1:${ports.pricing}`,
          paymentsUrl: `http://127.0.0.1:${ports.payments}`,
        },
        // on a loaded CI machine 300 ms attempts time out against a healthy sandbox and open the breaker
        // before the run starts; the deadline stays under the checker's 5 s documented-timeout default
        tuning: { pricing: { attemptTimeoutMs: 1500, deadlineMs: 4000 } },
      },
      webhooks: { secrets: [secret] },
    });
    // the default 8 attempts; backoff capped at 2 s (not 60 s) so a retry after a fault comes within the run
    worker = createTestWorker(app, { jobMaxAttempts: 8, jobMaxDelayMs: 2000 });
    await worker.start();
    url = await app.server.listen({ port: 0, host: '127.0.0.1' });
  });
  // once in several CI runs this file hung in its teardown: each step is bounded and named, so a hang is a failure that says where
  after(async () => {
    await step('worker.stop', () => worker.stop());
    await step('app.close', () => app.close());
    await step('sandbox.close', () => sandbox.close());
  });

  test('a full fault-proxy run on pricing and payments: every check passes or is skipped with a reason', async () => {
    const started = Date.now();
    const report = await runChecks({
      baseUrl: url,
      apiKey: app.tenant.apiKey,
      only: ['faults'],
      seed: 5,
      faultProxies: [
        { name: 'pricing', listenPort: ports.pricing, upstream: sandbox.urls.pricingUrl },
        { name: 'payments', listenPort: ports.payments, upstream: sandbox.urls.paymentsUrl },
      ],
    });
    const faults = report.checks.filter((c) => c.group === 'faults');
    if (process.env.CHECK_FAULTS_FIGURES)
      process.stderr.write(
        `${JSON.stringify({ wallMs: Date.now() - started, requests: report.requestsByGroup, checks: faults.map((c) => `${c.operation} ${c.id} ${c.status}: ${c.detail}`) }, null, 1)}\n`,
      );
    assert.deepEqual(
      faults.filter((c) => c.status === 'failed').map((c) => `${c.operation} ${c.id}: ${c.detail}`),
      [],
    );
    for (const c of faults.filter((x) => x.status === 'skipped'))
      assert.ok(c.detail.length > 5, `${c.id} skipped without a reason`);
    // both partners were reached, and the checks that need a failing or writing partner ran
    for (const id of ['faults.bounded-latency', 'faults.breaker-recovers', 'faults.amplification'])
      for (const partner of ['pricing', 'payments'])
        assert.ok(
          faults.some((c) => c.id === id && c.operation === partner && c.status === 'passed'),
          `${id} did not pass on ${partner}: ${faults
            .filter((c) => c.id === id)
            .map((c) => `${c.operation} ${c.status}: ${c.detail}`)
            .join('; ')}`,
        );
    assert.ok(
      faults.some(
        (c) => c.id === 'faults.at-most-once' && c.operation === 'payments' && c.status === 'passed',
      ),
    );
    assert.ok(
      faults.some(
        (c) => c.id === 'faults.outbound-key' && c.operation === 'payments' && c.status === 'passed',
      ),
    );
  });

  test('a webhooks run against /webhooks/payments with its secret: every check passes', async () => {
    const started = Date.now();
    const { checks, requests } = await runWebhookChecks({
      url: `${url}/webhooks/payments`,
      secret,
      // the inbox (an operator route) lists every stored delivery with its webhook-id and payload
      effectUrl: `${url}/v1/webhook-events?limit=100`,
      effectApiKey: app.operatorKey,
      seed: 5,
    });
    if (process.env.CHECK_FAULTS_FIGURES)
      process.stderr.write(
        `${JSON.stringify({ wallMs: Date.now() - started, requests, checks: checks.map((c) => `${c.id} ${c.status}: ${c.detail}`) }, null, 1)}\n`,
      );
    assert.deepEqual(
      checks.filter((c) => c.status !== 'passed').map((c) => `${c.id} ${c.status}: ${c.detail}`),
      [],
    );
  });
});
