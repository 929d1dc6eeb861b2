/**
 * `steadfast start` owns its embedded Postgres: when the postmaster is
 * SIGKILLed, requests answer 503 + Retry-After, the supervisor restarts it in
 * the same data directory (retrying while a leftover backend still holds the
 * old server's shared memory), and the same process serves again.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import { eventually, readPostmasterPid } from '@steadfast/toolkit/testing';
import { killAllChildren, makeHome, startCli } from './runtime/spawn-cli.ts';

const homes: string[] = [];
after(() => {
  killAllChildren();
  for (const home of homes) fs.rmSync(home, { recursive: true, force: true });
});

function childrenOf(pid: number): number[] {
  const text = fs.readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim();
  return text ? text.split(/\s+/).map(Number) : [];
}

/** the response when it has this status, else undefined (its body discarded) */
async function when(status: number, response: Response): Promise<Response | undefined> {
  if (response.status === status) return response;
  await response.body?.cancel();
  return undefined;
}

function create(apiUrl: string, apiKey: string, key: string) {
  return fetch(`${apiUrl}/v1/orders`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${apiKey}`,
      'content-type': 'application/json',
      'idempotency-key': key,
    },
    body: JSON.stringify({ currency: 'EUR', items: [{ sku: 'SKU-1', quantity: 1 }] }),
    signal: AbortSignal.timeout(20_000), // a hang fails the test instead of stalling it
  });
}

test('a SIGKILLed postmaster is restarted by steadfast start, which serves again without a restart of its own', {
  skip: process.platform !== 'linux' && 'reads /proc',
}, async () => {
  const home = makeHome();
  homes.push(home);
  const cli = await startCli({ STEADFAST_HOME: home, PORT: '0' }); // with the sandbox: creates need prices
  const before = await create(cli.apiUrl, cli.apiKey, 'before-crash');
  assert.equal(before.status, 201);
  const order = (await before.json()) as { id: string };

  const dataDir = path.join(home, 'pg');
  const postmaster = readPostmasterPid(dataDir);
  assert.ok(postmaster, 'the cluster runs');
  // a frozen leftover process keeps the old server's shared memory attached: the first restarts must fail
  const leftover = childrenOf(postmaster)[0];
  assert.ok(leftover, 'the postmaster has child processes');
  process.kill(leftover, 'SIGSTOP');
  process.kill(postmaster, 'SIGKILL');

  // during the outage: 503 database-unavailable with Retry-After, and /readyz 503
  const outage = await eventually(
    async () => when(503, await create(cli.apiUrl, cli.apiKey, `during-${Date.now()}`)),
    { timeoutMs: 20_000, intervalMs: 50, message: 'no 503 while the database was down' },
  );
  assert.match(outage.headers.get('content-type') ?? '', /^application\/problem\+json/);
  assert.ok(Number(outage.headers.get('retry-after')) >= 1);
  assert.equal(((await outage.json()) as { type: string }).type, '/problems/database-unavailable');
  const ready = await fetch(`${cli.apiUrl}/readyz`, { signal: AbortSignal.timeout(5000) });
  assert.equal(ready.status, 503);
  assert.equal((await fetch(`${cli.apiUrl}/healthz`)).status, 200, '/healthz is about the process');
  await eventually(() => /restart failed; retrying/.test(cli.output()), {
    timeoutMs: 20_000,
    message: `no failed restart attempt was logged:\n${cli.output()}`,
  });

  process.kill(leftover, 'SIGKILL'); // the leftover goes: the next attempt succeeds
  const after = await eventually(
    async () => when(201, await create(cli.apiUrl, cli.apiKey, 'after-restart')),
    { timeoutMs: 30_000, intervalMs: 100, message: `never served again:\n${cli.output()}` },
  );
  assert.equal(after.status, 201);
  assert.equal(cli.child.exitCode, null, 'the same process serves');
  const restarted = readPostmasterPid(dataDir);
  assert.ok(restarted && restarted !== postmaster, 'a new postmaster in the same data directory');
  const read = await fetch(`${cli.apiUrl}/v1/orders/${order.id}`, {
    headers: { authorization: `Bearer ${cli.apiKey}` },
  });
  assert.equal(read.status, 200, 'the data from before the crash is there');
  assert.equal((await fetch(`${cli.apiUrl}/readyz`)).status, 200);
  // the supervisor counts the restart once it is over; a request can be served a moment before that
  const metrics = await eventually(
    async () => {
      const text = await (await fetch(`${cli.apiUrl}/metrics`)).text();
      return /steadfast_database_restarts_total\{outcome="restarted"\} 1/.test(text) && text;
    },
    { timeoutMs: 10_000, message: 'the restart was never counted' },
  );
  assert.match(metrics, /steadfast_database_restarts_total\{outcome="failed"\} [1-9]/);

  assert.equal(await cli.stop('SIGTERM'), 0, `a clean shutdown:\n${cli.output()}`);
  assert.equal(readPostmasterPid(dataDir), undefined, 'the restarted cluster is stopped too');
});
