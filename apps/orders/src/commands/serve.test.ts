import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { eventually, readPostmasterPid } from '@steadfast/toolkit/testing';
import { appMigrations } from '../migrations.ts';
import { killAllChildren, makeHome, runCli, startCli } from '../runtime/spawn-cli.ts';

const homes: string[] = [];
after(() => {
  killAllChildren();
  for (const home of homes) fs.rmSync(home, { recursive: true, force: true });
});

function alive(pid: number): boolean {
  try {
    // a zombie (exited, not yet reaped by init) counts as gone
    return !/^\d+ \(.*\) Z/.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

/** pg_ctl stop returns when the postmaster has exited; the kernel may need a moment to reap it. */
async function gone(pid: number): Promise<boolean> {
  const deadline = Date.now() + 5000;
  while (alive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  return !alive(pid);
}

async function api(url: string, key: string, init: RequestInit = {}) {
  const response = await fetch(url, {
    ...init,
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', ...init.headers },
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describe('steadfast start (a real process on embedded Postgres)', () => {
  test('serves, shares its cluster with CLI commands, stops cleanly and keeps data across restarts', async () => {
    const home = makeHome();
    homes.push(home);
    const env = { STEADFAST_HOME: home, PORT: '0' };
    const dataDir = path.join(home, 'pg');

    const first = await startCli(env);
    assert.match(first.output(), /curl -sS -X POST/);
    assert.match(first.output(), /openapi\.json/);
    const created = await api(`${first.apiUrl}/v1/orders`, first.apiKey, {
      method: 'POST',
      headers: { 'idempotency-key': 'first-order' },
      body: JSON.stringify({ currency: 'EUR', items: [{ sku: 'SKU-1', quantity: 2 }] }),
    });
    assert.equal(created.status, 201);

    // a CLI command joins the running cluster, and the key it prints works at once
    const tenant = await runCli(['tenant', 'create', 'Acme'], env);
    assert.equal(tenant.code, 0, tenant.stderr);
    const { tenantId, apiKey } = JSON.parse(tenant.stdout.trim());
    assert.match(tenantId, /^ten_/);
    const list = await api(`${first.apiUrl}/v1/orders`, apiKey);
    assert.equal(list.status, 200);
    assert.deepEqual(list.body.data, [], 'a new tenant sees none of the demo tenant’s orders');

    // key commands: an operator key works on operator routes at once; a revoked key is refused within 1 s
    assert.equal(
      (await api(`${first.apiUrl}/v1/dependencies`, first.operatorKey)).status,
      200,
      'the demo operator',
    );
    assert.equal((await api(`${first.apiUrl}/v1/dependencies`, apiKey)).status, 403, 'a tenant key');
    const operator = await runCli(['key', 'create', '--operator', 'On-call', '--name', 'pager'], env);
    assert.equal(operator.code, 0, operator.stderr);
    const opKey = JSON.parse(operator.stdout.trim());
    assert.match(opKey.operatorId, /^opr_/);
    assert.equal((await api(`${first.apiUrl}/v1/dependencies`, opKey.apiKey)).status, 200);
    const secondKey = await runCli(
      ['key', 'create', '--tenant', tenantId, '--name', 'ci', '--expires-in-s', '3600'],
      env,
    );
    assert.equal(secondKey.code, 0, secondKey.stderr);
    const ci = JSON.parse(secondKey.stdout.trim());
    assert.equal((await api(`${first.apiUrl}/v1/orders`, ci.apiKey)).status, 200);
    const listed = await runCli(['key', 'list', '--tenant', tenantId], env);
    assert.deepEqual(
      JSON.parse(listed.stdout).data.map((k: { name: string | null }) => k.name),
      ['ci', null],
      'newest first, no secret',
    );
    assert.ok(!listed.stdout.includes(ci.apiKey));
    const revoked = await runCli(['key', 'revoke', ci.keyId], env);
    assert.equal(revoked.code, 0, revoked.stderr);
    await eventually(async () => (await api(`${first.apiUrl}/v1/orders`, ci.apiKey)).status === 401, {
      timeoutMs: 1000,
      message: 'the revoked key still worked after 1 s',
    });
    const unknown = await runCli(['key', 'revoke', 'key_00000000000000000000000000'], env);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /no API key key_0/);

    const pid = readPostmasterPid(dataDir);
    assert.ok(pid && alive(pid), 'the cluster is still running after the CLI command');
    assert.equal(await first.stop('SIGTERM'), 0);
    assert.ok(await gone(pid), 'no orphaned Postgres after shutdown');

    const second = await startCli(env);
    assert.equal(second.apiKey, first.apiKey, 'the demo key is kept in the home');
    const read = await api(`${second.apiUrl}/v1/orders/${created.body.id}`, second.apiKey);
    assert.equal(read.status, 200);
    assert.deepEqual(read.body, created.body);
    const pid2 = readPostmasterPid(dataDir);
    assert.equal(await second.stop('SIGINT'), 0);
    assert.ok(pid2 && (await gone(pid2)));
  });

  test('a SIGKILLed start leaves its cluster; the next start adopts it and stops it on exit', async () => {
    const home = makeHome();
    homes.push(home);
    const env = { STEADFAST_HOME: home, PORT: '0' };
    const first = await startCli(env);
    const pid = readPostmasterPid(path.join(home, 'pg'));
    await first.stop('SIGKILL');
    assert.ok(pid && alive(pid));
    const second = await startCli(env);
    assert.equal(readPostmasterPid(path.join(home, 'pg')), pid);
    assert.equal(await second.stop(), 0);
    assert.ok(await gone(pid));
  });

  test('bad configuration exits 1 with one line naming the variable', async () => {
    const result = await runCli(['start'], { PORT: 'abc', STEADFAST_HOME: makeHome() });
    assert.equal(result.code, 1);
    const lines = result.stderr.trim().split('\n');
    assert.equal(lines.length, 1, result.stderr);
    assert.match(lines[0], /PORT/);
  });

  test('steadfast migrate starts and stops the embedded cluster when nothing runs', async () => {
    const home = makeHome();
    homes.push(home);
    const result = await runCli(['migrate'], { STEADFAST_HOME: home });
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(JSON.parse(result.stdout), {
      applied: appMigrations().map((m) => m.id),
    });
    assert.equal(readPostmasterPid(path.join(home, 'pg')), undefined);
  });
});
