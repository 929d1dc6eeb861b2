/**
 * The console in a real Chromium (Debian's `chromium`, driven by playwright-core;
 * never a downloaded browser): sign in; break the pricing partner in the sandbox
 * and see its row turn to an open breaker with timeouts in the chart; replay a
 * dead letter from its page; search a request id and see the partner attempts
 * it caused. Skipped, saying why, when no Chromium is installed (.ci/run installs
 * it). Screenshots go to $CONSOLE_SCREENSHOTS (npm run console:screenshots writes
 * docs/images), else to a temporary folder.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { type RunningSandbox, startSandbox } from '@steadfast/sandbox';
import { insertDeadLetter } from '@steadfast/toolkit/jobs';
import { eventually } from '@steadfast/toolkit/testing';
import { type Browser, chromium, type Page } from 'playwright-core';
import { buildTestApp, type TestApp } from '../testing.ts';

const CHROMIUM = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'].find(
  (p) => p && existsSync(p),
);
const skip = CHROMIUM ? false : 'no Chromium installed (apt-get install chromium, or set CHROMIUM_PATH)';
const shots = process.env.CONSOLE_SCREENSHOTS ?? mkdtempSync(path.join(tmpdir(), 'console-shots-'));

let sandbox: RunningSandbox;
let app: TestApp;
let base: string;
let browser: Browser;
let page: Page;
let skus = 0;

before(async () => {
  if (skip) return;
  sandbox = await startSandbox({ chargeProcessingMs: 0 });
  app = await buildTestApp({
    partners: {
      urls: sandbox.urls,
      tuning: { pricing: { freshMs: 0, attemptTimeoutMs: 100, deadlineMs: 450 } },
    },
  });
  base = await app.server.listen({ port: 0, host: '127.0.0.1' });
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true });
  page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
});
after(async () => {
  if (skip) return;
  await browser?.close();
  app.server.server.closeAllConnections();
  await app?.close();
  await sandbox?.close();
});

const screenshot = (name: string) =>
  page.screenshot({ path: path.join(shots, `console-${name}.png`), fullPage: true });
function createOrder(sku: string) {
  return app.inject({
    method: 'POST',
    url: '/v1/orders',
    payload: { currency: 'EUR', items: [{ sku, quantity: 1 }] },
  });
}

test('sign in with an operator key; a tenant key is refused', { skip }, async () => {
  await page.goto(`${base}/console`);
  await screenshot('sign-in');
  await page.fill('#key', app.tenant.apiKey);
  await page.click('button[type=submit]');
  assert.match((await page.textContent('.flash')) ?? '', /operator keys only/);
  await page.fill('#key', app.operatorKey);
  await page.click('button[type=submit]');
  await page.waitForURL(`${base}/console/dependencies`);
  assert.equal(await page.textContent('h1'), 'Dependencies');
});

test('the pricing partner hangs: its row turns to an open breaker with timeouts in the chart', {
  skip,
}, async () => {
  assert.equal((await createOrder('B-OK')).statusCode, 201);
  assert.equal((await sandbox.chaos('pricing', { rules: [{ fault: 'hang' }] })).status, 200);
  await eventually(
    async () => {
      await createOrder(`B-${++skus}`);
      return app.built.partners?.clients.find((c) => c.name === 'pricing')?.breaker.state() === 'open';
    },
    { timeoutMs: 20_000, message: 'the pricing breaker never opened' },
  );
  assert.equal(await app.built.history?.flush(), true);
  await page.goto(`${base}/console/dependencies`);
  assert.equal(
    await page.getAttribute('tr[data-dependency="pricing"] [data-breaker]', 'data-breaker'),
    'open',
  );
  assert.ok(
    (await page.locator('section[data-dependency="pricing"] rect[data-kind="timeout"]').count()) >= 1,
  );
  assert.ok(
    (await page.locator('section[data-dependency="pricing"] rect[data-kind="success"]').count()) >= 1,
  );
  const timeouts = await page.textContent(
    'section[data-dependency="pricing"] .legend [data-kind="timeout"] b',
  );
  assert.ok(Number(timeouts) >= 5, `${timeouts} timeouts in the legend`);
  await screenshot('dependencies');
  await sandbox.reset();
});

test('a dead letter is replayed from its page, and the audit shows who did it', { skip }, async () => {
  const id = app.built.ids.next('dl');
  await insertDeadLetter(app.db.pool, {
    id,
    tenantId: app.tenant.tenantId,
    task: 'send-notification',
    payload: { eventId: 'evt_demo', type: 'order.paid' },
    attempts: 8,
    errorCategory: 'exhausted',
    errorMessage: 'messaging answered 503',
    firstFailedAt: new Date().toISOString(),
  });
  await page.goto(`${base}/console/work`);
  await screenshot('work');
  await page.click(`a[href="/console/dead-letters?task=send-notification"]`);
  await page.click(`a[href="/console/dead-letters/${id}"]`);
  await screenshot('dead-letter');
  await page.click('button[data-action="replay"]');
  assert.match((await page.textContent('.flash')) ?? '', new RegExp(`Dead letter ${id} replayed`));
  const { rows } = await app.db.pool.query('SELECT status FROM dead_letters WHERE id = $1', [id]);
  assert.equal(rows[0].status, 'replayed');
  await page.goto(`${base}/console/audit`);
  assert.match((await page.textContent('tr[data-audit="dead-letter.replay"]')) ?? '', new RegExp(id));
  await screenshot('audit');
});

test('a request id leads to its timeline, with the partner attempts it caused', { skip }, async () => {
  // the breaker opened by the previous test closes after a successful probe
  await eventually(async () => (await createOrder(`P-${++skus}`)).statusCode === 201, {
    timeoutMs: 20_000,
    intervalMs: 250,
    message: 'pricing never recovered',
  });
  assert.equal(
    (await sandbox.chaos('pricing', { rules: [{ fault: 'error', status: 503, count: 1 }] })).status,
    200,
  );
  const created = await createOrder(`L-${++skus}`);
  assert.equal(created.statusCode, 201);
  const requestId = String(created.headers['x-request-id']);
  await app.built.lineage?.flush();
  await page.goto(`${base}/console/lineage`);
  await page.fill('input[name=q]', requestId);
  await page.click('button.primary');
  await page.waitForSelector('table.timeline');
  const attempts = page.locator('tr[data-event="attempt"]');
  assert.ok((await attempts.count()) >= 2, 'a 503 and the retry that succeeded');
  assert.match((await attempts.first().textContent()) ?? '', /pricing/);
  assert.equal(await page.locator('tr[data-event="request"]').count(), 1);
  await screenshot('lineage');
});
