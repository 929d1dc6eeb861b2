import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { eventually } from '@steadfast/toolkit/testing';
import Fastify, { type FastifyInstance } from 'fastify';
import { Webhook } from 'standardwebhooks';
import { buildSandbox, type Sandbox } from '../../app.ts';

const SECRET = `whsec_${Buffer.from('sandbox-test-secret-32-bytes-long!').toString('base64')}`;

interface Received {
  id: string;
  type: string;
  chargeId: string;
  status: string;
}

let sandbox: Sandbox;
let base: string;
let receiver: FastifyInstance;
let received: Received[] = [];
let failuresLeft = 0;
let attempts = 0;

before(async () => {
  receiver = Fastify();
  receiver.addContentTypeParser('application/json', { parseAs: 'string' }, (_r, body, done) =>
    done(null, body),
  );
  receiver.post('/hook', async (request, reply) => {
    attempts++;
    if (failuresLeft > 0) {
      failuresLeft--;
      return reply.code(500).send('not now');
    }
    const event = new Webhook(SECRET).verify(
      request.body as string,
      request.headers as Record<string, string>,
    ) as {
      id: string;
      type: string;
      data: { charge: { id: string; status: string } };
    };
    received.push({
      id: event.id,
      type: event.type,
      chargeId: event.data.charge.id,
      status: event.data.charge.status,
    });
    return reply.code(204).send();
  });
  const hookUrl = `${await receiver.listen({ port: 0, host: '127.0.0.1' })}/hook`;
  sandbox = await buildSandbox({
    webhookEndpoints: [{ url: hookUrl, secret: SECRET }],
    webhookRetry: { firstRetryMs: 20, maxDelayMs: 100, maxAttempts: 5 },
    chargeProcessingMs: 0,
  });
  base = await sandbox.server.listen({ port: 0, host: '127.0.0.1' });
});
after(async () => {
  await sandbox.close();
  await receiver.close();
});
beforeEach(async () => {
  await fetch(`${base}/_reset`, { method: 'POST' });
  received = [];
  failuresLeft = 0;
  attempts = 0;
});

async function setChaos(config: object) {
  const response = await fetch(`${base}/payments/_chaos`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(config),
  });
  assert.equal(response.status, 200);
}
async function charge(amount: number, reference: string) {
  const response = await fetch(`${base}/payments/v1/charges`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ amount, currency: 'EUR', reference }),
  });
  return (await response.json()) as { id: string };
}

describe('payment webhooks', () => {
  test('every status change is delivered, signed per Standard Webhooks', async () => {
    const c = await charge(1000, 'a');
    const [event] = await eventually(() => received.length === 1 && received);
    assert.equal(event.type, 'charge.succeeded');
    assert.equal(event.chargeId, c.id);
    assert.match(event.id, /^evt_/);
  });

  test('a pending charge settles later and emits the later event', async () => {
    await setChaos({ settlement: { settleAfterMs: [10, 20] } });
    await charge(1005, 'p');
    await eventually(() => received.length === 2);
    assert.deepEqual(received.map((e) => e.type).sort(), ['charge.pending', 'charge.succeeded']);
  });

  test('non-2xx answers are retried until one succeeds', async () => {
    failuresLeft = 2;
    await charge(1000, 'r');
    await eventually(() => received.length === 1);
    assert.equal(attempts, 3);
    const log = (await (await fetch(`${base}/payments/_webhooks`)).json()) as {
      deliveries: { state: string; attempts: unknown[] }[];
    };
    assert.equal(log.deliveries[0].state, 'delivered');
    assert.equal(log.deliveries[0].attempts.length, 3);
  });

  test('duplicates: every event twice, same id', async () => {
    await setChaos({ seed: 3, webhooks: { duplicateProbability: 1 } });
    await charge(1000, 'd');
    await eventually(() => received.length === 2);
    assert.equal(received[0].id, received[1].id);
  });

  test('drops: nothing arrives, and the delivery log says why', async () => {
    await setChaos({ seed: 3, webhooks: { dropProbability: 1 } });
    await charge(1000, 'x');
    const log = await eventually(async () => {
      const body = (await (await fetch(`${base}/payments/_webhooks`)).json()) as {
        deliveries: { state: string }[];
      };
      return body.deliveries.length === 1 && body.deliveries;
    });
    assert.equal(log[0].state, 'dropped');
    assert.equal(received.length, 0);
  });

  test('reorder: some later events arrive before earlier ones (deterministic per seed)', async () => {
    await setChaos({
      seed: 7,
      webhooks: { reorder: true },
      settlement: { pendingProbability: 1, settleAfterMs: [0, 5] },
    });
    for (let i = 0; i < 10; i++) await charge(1000, `o-${i}`);
    await eventually(() => received.length === 20, { timeoutMs: 5000 });
    const outOfOrder = new Set(
      received
        .filter(
          (e, i) => e.status === 'succeeded' && !received.slice(0, i).some((p) => p.chargeId === e.chargeId),
        )
        .map((e) => e.chargeId),
    );
    assert.ok(outOfOrder.size >= 1, 'at least one charge.succeeded arrived before its charge.pending');
  });
});
