import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { type RunningSandbox, startSandbox } from '../harness.ts';

let sandbox: RunningSandbox;
let base: string;
before(async () => {
  sandbox = await startSandbox();
  base = sandbox.base;
});
after(() => sandbox.close());
beforeEach(async () => {
  await fetch(`${base}/_reset`, { method: 'POST' });
});

const json = { 'content-type': 'application/json' };
let refs = 0;
function charge(extra: Record<string, string> = {}, signal?: AbortSignal) {
  return fetch(`${base}/payments/v1/charges`, {
    method: 'POST',
    headers: { ...json, ...extra },
    body: JSON.stringify({ amount: 1000, currency: 'EUR', reference: `ref-${++refs}` }),
    signal,
  });
}
async function chaos(partner: string, config: unknown) {
  const response = await fetch(`${base}/${partner}/_chaos`, {
    method: 'PUT',
    headers: json,
    body: JSON.stringify(config),
  });
  return { status: response.status, body: (await response.json()) as ChaosAnswer };
}
async function ledgerSize(): Promise<number> {
  return ((await (await fetch(`${base}/payments/ledger`)).json()) as { data: unknown[] }).data.length;
}
interface ChaosAnswer {
  requestsSeen?: number;
  error?: { param?: string };
}
const onCharges = { method: 'POST', path: '/payments/v1/charges' };

describe('fault kinds, seen by a real client over a real socket', () => {
  test('error: the configured status and body, nothing charged', async () => {
    await chaos('payments', { rules: [{ match: onCharges, fault: 'error', status: 503 }] });
    const response = await charge();
    assert.equal(response.status, 503);
    assert.equal(((await response.json()) as { error: { type: string } }).error.type, 'api_error');
    assert.equal(await ledgerSize(), 0);
  });

  test('rate-limit: 429 with Retry-After', async () => {
    await chaos('payments', { rules: [{ fault: 'rate-limit', retryAfterS: 7 }] });
    const response = await charge();
    assert.equal(response.status, 429);
    assert.equal(response.headers.get('retry-after'), '7');
  });

  test('latency: the answer comes late', async () => {
    await chaos('pricing', { rules: [{ fault: 'latency', latencyMs: 150 }] });
    const started = performance.now();
    const response = await fetch(`${base}/pricing/v1/prices/SKU-1`);
    assert.equal(response.status, 200);
    assert.ok(performance.now() - started >= 145);
  });

  test('hang: no answer at all (the client times out)', async () => {
    await chaos('recommendations', { rules: [{ fault: 'hang' }] });
    const started = performance.now();
    await assert.rejects(
      fetch(`${base}/recommendations/v1/recommendations?sku=A`, { signal: AbortSignal.timeout(200) }),
      /TimeoutError|aborted/i,
    );
    assert.ok(performance.now() - started >= 190);
  });

  test('reset: the socket is destroyed before anything happens', async () => {
    await chaos('payments', { rules: [{ fault: 'reset' }] });
    await assert.rejects(charge(), /fetch failed/);
    assert.equal(await ledgerSize(), 0);
  });

  test('lost-response: the charge happens, the client sees a network error', async () => {
    await chaos('payments', { rules: [{ match: onCharges, fault: 'lost-response' }] });
    await assert.rejects(charge(), /fetch failed/);
    assert.equal(await ledgerSize(), 1);
  });

  test('malformed: invalid JSON, or JSON without the expected fields', async () => {
    await chaos('payments', {
      rules: [
        { match: onCharges, fault: 'malformed', count: 1 },
        { match: onCharges, fault: 'malformed', variant: 'missing-fields' },
      ],
    });
    const broken = await charge();
    assert.equal(broken.status, 200);
    await assert.rejects(broken.json(), SyntaxError);
    const empty = (await (await charge()).json()) as Record<string, unknown>;
    assert.equal(empty.id, undefined);
  });

  test('slow-body: headers at once, the body trickles', async () => {
    await chaos('pricing', { rules: [{ fault: 'slow-body', durationMs: 400 }] });
    const started = performance.now();
    const response = await fetch(`${base}/pricing/v1/prices/SKU-1`);
    const headersAt = performance.now() - started;
    const body = (await response.json()) as { sku: string };
    assert.equal(body.sku, 'SKU-1');
    assert.ok(headersAt < 300, `headers after ${headersAt} ms`);
    const total = performance.now() - started;
    assert.ok(total >= 320, `body complete after ${total} ms (headers ${headersAt} ms)`);
  });
});

describe('chaos control', () => {
  test('same seed and request sequence → the same faults', async () => {
    const run = async () => {
      await chaos('pricing', { seed: 42, rules: [{ fault: 'error', status: 503, probability: 0.5 }] });
      const statuses: number[] = [];
      for (let i = 0; i < 30; i++) statuses.push((await fetch(`${base}/pricing/v1/prices/SKU-${i}`)).status);
      return statuses;
    };
    const first = await run();
    const second = await run();
    assert.deepEqual(first, second);
    assert.ok(first.includes(503) && first.includes(200), first.join(','));
  });

  test('count limits a rule to the next N matching requests; path globs match', async () => {
    await chaos('pricing', {
      rules: [{ match: { path: '/pricing/v1/prices/*' }, fault: 'error', status: 500, count: 2 }],
    });
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await fetch(`${base}/pricing/v1/prices/A`)).status);
    assert.deepEqual(statuses, [500, 500, 200, 200]);
    const { body } = await chaos('pricing', { rules: [] });
    assert.equal(body.requestsSeen, 0);
  });

  test('GET reports counters; DELETE clears', async () => {
    await chaos('pricing', { rules: [{ fault: 'error', status: 502 }] });
    await fetch(`${base}/pricing/v1/prices/A`);
    const state = (await (await fetch(`${base}/pricing/_chaos`)).json()) as Record<string, unknown>;
    assert.equal(state.requestsSeen, 1);
    assert.deepEqual(state.faultsInjected, { error: 1 });
    assert.equal((await fetch(`${base}/pricing/_chaos`, { method: 'DELETE' })).status, 204);
    assert.equal((await fetch(`${base}/pricing/v1/prices/A`)).status, 200);
  });

  test('invalid config → 400 with a pointer to the bad field; the old config stays', async () => {
    await chaos('pricing', { rules: [{ fault: 'error', status: 503 }] });
    for (const [config, pointer] of [
      [{ rules: [{ fault: 'explode' }] }, '/rules/0/fault'],
      [{ rules: [{ fault: 'error', probability: 2 }] }, '/rules/0/probability'],
      [{ rules: [{ fault: 'error', colour: 'red' }] }, '/rules/0/colour'],
      [{ webhooks: { dropProbability: 0.1 } }, '/webhooks'],
    ] as const) {
      const { status, body } = await chaos('pricing', config);
      assert.equal(status, 400, JSON.stringify(config));
      assert.equal(body.error?.param, pointer);
    }
    const bad = await chaos('payments', { settlement: { settleAfterMs: [10, 5] } });
    assert.equal(bad.body.error?.param, '/settlement/settleAfterMs');
    assert.equal(
      (await fetch(`${base}/pricing/v1/prices/A`)).status,
      503,
      'the previous config is still in force',
    );
  });

  test('POST /_reset clears ledgers and chaos of every partner', async () => {
    await charge();
    await chaos('payments', { rules: [{ fault: 'error', status: 500 }] });
    await fetch(`${base}/_reset`, { method: 'POST' });
    assert.equal(await ledgerSize(), 0);
    assert.equal((await charge()).status, 201);
  });
});
