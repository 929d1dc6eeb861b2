/** The durable job and the outbound call: a partner's 5xx is retried with the same key and charged once. */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import { eventually } from '@steadfast/toolkit/testing';
import { chargeKey } from '../src/payments.ts';
import { type Service, startService } from './harness.ts';

let service: Service;
before(async () => {
  service = await startService();
  await service.worker.runner.start();
});
after(() => service.close());

const bookingRow = async (id: string) =>
  (await service.db.query('SELECT status, charge_id, version FROM bookings WHERE id = $1', [id])).rows[0];
const confirmed = (id: string) =>
  eventually(
    async () => {
      const row = await bookingRow(id);
      return row.status === 'confirmed' && row;
    },
    { timeoutMs: 15_000, message: `booking ${id} was not confirmed` },
  );

test('the charge job runs after the commit: the booking is charged and confirmed', async () => {
  const created = await service.book();
  assert.equal(created.statusCode, 201);
  const { id, status } = created.json();
  assert.equal(status, 'pending');
  const row = await confirmed(id);
  const charge = service.partner.charges.get(row.charge_id);
  assert.deepEqual(
    { key: charge?.key, reference: charge?.reference, amount: charge?.amount },
    { key: chargeKey(id), reference: id, amount: 12_000 },
  );
  assert.equal(row.version, 2);
});

test('partner 5xx: retried by the client, then by the job, always with the same key; charged once', async () => {
  service.partner.failNext(4); // 3 attempts in the first run of the job, 1 more in its second
  const key = randomUUID();
  const created = await service.book(
    { room: 'R-500', guest: 'Barbara', amount: 5_000, currency: 'EUR' },
    key,
  );
  const { id } = created.json();
  const row = await confirmed(id);

  const calls = service.partner.requests.filter((r) => r.method === 'POST' && r.reference === id);
  assert.deepEqual(
    calls.map((c) => c.key),
    Array(5).fill(chargeKey(id)),
  );
  const charged = () => [...service.partner.charges.values()].filter((c) => c.reference === id);
  assert.deepEqual(
    charged().map((c) => c.id),
    [row.charge_id],
  );

  // the API client retries its POST too: it gets the stored 201 back, and nothing runs again
  const seen = service.partner.requests.length;
  const replay = await service.book({ room: 'R-500', guest: 'Barbara', amount: 5_000, currency: 'EUR' }, key);
  assert.equal(replay.headers['idempotent-replayed'], 'true');
  assert.equal(replay.body, created.body);
  assert.equal(charged().length, 1);
  assert.equal(service.partner.requests.length, seen);
});
