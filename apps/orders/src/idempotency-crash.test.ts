/**
 * A process SIGKILLed between claiming a key and committing (fault point
 * `after-claim-before-commit`) leaves only the claim: a restarted service
 * answers 409 while the lease runs, then takes the key over and executes
 * exactly once.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, test } from 'node:test';
import { killAllChildren, makeHome, startCli } from './runtime/spawn-cli.ts';

const homes: string[] = [];
after(() => {
  killAllChildren();
  for (const home of homes) fs.rmSync(home, { recursive: true, force: true });
});

async function call(url: string, key: string, idempotencyKey: string, body?: object) {
  const response = await fetch(url, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${key}`,
      'idempotency-key': idempotencyKey,
      ...(body ? { 'content-type': 'application/json' } : {}),
    },
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

test('SIGKILL after the claim, before the commit: one execution after takeover', async () => {
  const home = makeHome();
  homes.push(home);
  const leaseS = 5;
  const env = { STEADFAST_HOME: home, PORT: '0', IDEMPOTENCY_LEASE_S: String(leaseS) };

  const doomed = await startCli({ ...env, STEADFAST_FAULTS: 'after-claim-before-commit' });
  const order = await call(`${doomed.apiUrl}/v1/orders`, doomed.apiKey, 'create-1', {
    currency: 'EUR',
    items: [{ sku: 'CRASH-1', quantity: 1 }],
  });
  assert.equal(order.status, 201, 'creating is one statement: no fault point on that path');
  const submitUrl = (base: string) => `${base}/v1/orders/${order.body.id}/submit`;
  await assert.rejects(
    call(submitUrl(doomed.apiUrl), doomed.apiKey, 'submit-1'),
    'the connection dies with the process',
  );
  const crashedAt = Date.now();
  assert.equal(await new Promise((r) => doomed.child.once('exit', (_c, signal) => r(signal))), 'SIGKILL');

  const revived = await startCli(env);
  const first = await call(submitUrl(revived.apiUrl), revived.apiKey, 'submit-1');
  if (Date.now() - crashedAt < (leaseS - 1) * 1000) {
    assert.equal(first.status, 409, 'the dead owner still holds the lease');
    assert.equal(first.body.type, '/problems/idempotency-request-in-flight');
  }
  let answer = first;
  const deadline = Date.now() + 20_000;
  while (answer.status === 409 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 250));
    answer = await call(submitUrl(revived.apiUrl), revived.apiKey, 'submit-1');
  }
  assert.equal(answer.status, 200, JSON.stringify(answer.body));
  assert.equal(answer.body.status, 'submitted');
  assert.equal(answer.body.version, 2, 'the crashed attempt left no trace: exactly one transition');
  const replay = await call(submitUrl(revived.apiUrl), revived.apiKey, 'submit-1');
  assert.equal(replay.status, 200);
  assert.deepEqual(replay.body, answer.body);
  assert.equal(await revived.stop(), 0);
});
