/** Signed webhook intake: forgeries are refused and leave nothing; a delivery is stored once and acted on only after the partner confirms. */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import { eventually } from '@steadfast/toolkit/testing';
import { Webhook } from 'standardwebhooks';
import { type Service, startService, WEBHOOK_SECRET } from './harness.ts';

let service: Service;
before(async () => {
  service = await startService();
});
after(() => service.close());

/** a delivery signed as the partner signs it (Standard Webhooks) */
function signed(event: object, secret = WEBHOOK_SECRET, id = `msg_${randomUUID()}`, at = new Date()) {
  const payload = JSON.stringify(event);
  const headers = {
    'content-type': 'application/json',
    'webhook-id': id,
    'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
    'webhook-signature': new Webhook(secret).sign(id, at, payload),
  };
  return { payload, headers };
}
const deliver = (d: { payload: string; headers: Record<string, string> }) =>
  service.app.inject({ method: 'POST', url: '/webhooks/payments', headers: d.headers, payload: d.payload });
const refunded = (chargeId: string) => ({ type: 'charge.refunded', data: { chargeId } });
const inbox = async () =>
  (await service.db.query('SELECT webhook_id, status, reason FROM webhook_inbox ORDER BY received_at')).rows;
const booking = async (id: string) =>
  (await service.app.inject({ method: 'GET', url: `/bookings/${id}` })).json();

test('forged, tampered, stale or unsigned deliveries → 401 problem; nothing is stored', async () => {
  const other = `whsec_${Buffer.from('somebody-elses-secret-32-bytes!!').toString('base64')}`;
  const tampered = signed(refunded('ch_1'));
  tampered.payload = JSON.stringify(refunded('ch_2'));
  const unsigned = signed(refunded('ch_1'));
  delete (unsigned.headers as Partial<typeof unsigned.headers>)['webhook-signature'];
  const deliveries = [
    signed(refunded('ch_1'), other),
    tampered,
    signed(refunded('ch_1'), WEBHOOK_SECRET, undefined, new Date(Date.now() - 3_600_000)),
    unsigned,
  ];
  for (const d of deliveries) {
    const answer = await deliver(d);
    assert.equal(answer.statusCode, 401);
    assert.match(String(answer.headers['content-type']), /^application\/problem\+json/);
    assert.match(answer.json().type, /^\/problems\/webhook-(signature-invalid|timestamp-out-of-tolerance)$/);
  }
  assert.deepEqual(await inbox(), []);
});

test('a valid delivery is stored once; the booking changes only when the partner confirms it', async () => {
  await service.worker.runner.start();
  const { id } = (await service.book()).json();
  const { chargeId } = await eventually(async () => {
    const b = await booking(id);
    return b.status === 'confirmed' && b;
  });

  // the partner has not refunded: a signed claim that it did is stored, checked, and ignored
  const premature = signed(refunded(chargeId));
  assert.equal((await deliver(premature)).statusCode, 200);
  assert.equal(await service.worker.inbox.runOnce(), 1);
  assert.deepEqual(
    (await inbox()).map((r) => [r.webhook_id, r.status]),
    [[premature.headers['webhook-id'], 'ignored']],
  );
  assert.equal((await booking(id)).status, 'confirmed');

  // refunded at the partner: the delivery (sent twice) is stored once; intake alone changes nothing
  service.partner.refund(chargeId);
  const real = signed(refunded(chargeId));
  for (let i = 0; i < 2; i++) {
    const answer = await deliver(real);
    assert.equal(answer.statusCode, 200);
    assert.equal(answer.body, '');
  }
  assert.equal(await service.count('webhook_inbox WHERE webhook_id = $1', [real.headers['webhook-id']]), 1);
  assert.equal((await booking(id)).status, 'confirmed');

  const lookups = () =>
    service.partner.requests.filter((r) => r.method === 'GET' && r.path === `/charges/${chargeId}`);
  const before = lookups().length;
  assert.equal(await service.worker.inbox.runOnce(), 1);
  assert.equal(lookups().length, before + 1); // asked the partner before acting
  const after = await booking(id);
  assert.equal(after.status, 'refunded');
  assert.equal(after.version, 3);
  assert.equal((await inbox()).at(-1)?.status, 'processed');
});
