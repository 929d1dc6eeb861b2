/** src/main.ts as a process: one clear line when misconfigured; serves, works and stops cleanly when configured. */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import { createTestDatabase, eventually, freePort, type TestDatabase } from '@steadfast/toolkit/testing';
import { type FakePayments, startFakePayments } from './fake-payments.ts';
import { WEBHOOK_SECRET } from './harness.ts';

const MAIN = new URL('../src/main.ts', import.meta.url).pathname;

test('a missing variable: exit 2 with one line naming it', () => {
  const env = {
    ...process.env,
    DATABASE_URL: '',
    PAYMENTS_URL: 'http://127.0.0.1:9',
    PAYMENTS_WEBHOOK_SECRET: 'x',
  };
  const run = spawnSync(process.execPath, [MAIN], { env, encoding: 'utf8' });
  assert.equal(run.status, 2);
  assert.equal(run.stderr, 'bookings: set DATABASE_URL (see README.md)\n');
});

let database: TestDatabase;
let partner: FakePayments;
before(async () => {
  database = await createTestDatabase();
  partner = await startFakePayments();
});
after(async () => {
  await partner.close();
  await database.close();
});

test('configured: it serves, the worker charges, and SIGTERM stops it with exit code 0', async () => {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const env = {
    ...process.env,
    DATABASE_URL: database.url,
    PAYMENTS_URL: partner.url,
    PAYMENTS_WEBHOOK_SECRET: WEBHOOK_SECRET,
    PORT: String(port),
    LOG_LEVEL: 'warn',
  };
  const child: ChildProcess = spawn(process.execPath, [MAIN], {
    env,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  try {
    await eventually(
      () =>
        fetch(`${base}/bookings/bkg_none`).then(
          (r) => r.status === 404,
          () => false,
        ),
      {
        timeoutMs: 20_000,
        message: 'main.ts did not start listening',
      },
    );
    const created = await fetch(`${base}/bookings`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': randomUUID() },
      body: JSON.stringify({ room: 'R-1', guest: 'Alan', amount: 100, currency: 'GBP' }),
    });
    assert.equal(created.status, 201);
    const { id } = (await created.json()) as { id: string };
    await eventually(
      async () =>
        ((await (await fetch(`${base}/bookings/${id}`)).json()) as { status: string }).status === 'confirmed',
      {
        timeoutMs: 15_000,
      },
    );
  } finally {
    child.kill('SIGTERM');
  }
  assert.equal(await exited, 0);
});
