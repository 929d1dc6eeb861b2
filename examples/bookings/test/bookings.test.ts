/** The HTTP promises: Idempotency-Key (replay, effect once, 422), ETag/If-Match, problem+json everywhere. */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { type Service, startService } from './harness.ts';

let service: Service;
before(async () => {
  service = await startService(); // the worker is not started: jobs stay queued where we can count them
});
after(() => service.close());

const ROOM_9 = { room: 'R-9', guest: 'Grace', amount: 8_000, currency: 'EUR' };
const PROBLEM = /^application\/problem\+json/;
const jobsFor = (id: string) => service.count('graphile_worker.jobs WHERE key = $1', [`charge:${id}`]);

describe('POST /bookings with an Idempotency-Key', () => {
  test('a retry gets the stored answer; the booking and its job exist once', async () => {
    const key = randomUUID();
    const first = await service.book(undefined, key);
    assert.equal(first.statusCode, 201);
    const booking = first.json();
    assert.match(booking.id, /^bkg_/);
    assert.equal(first.headers.etag, '"1"');
    assert.equal(first.headers.location, `/bookings/${booking.id}`);

    const again = await service.book(undefined, key);
    assert.equal(again.statusCode, 201);
    assert.equal(again.headers['idempotent-replayed'], 'true');
    assert.equal(again.body, first.body);
    assert.equal(again.headers.location, first.headers.location);
    assert.equal(await service.count('bookings WHERE room = $1 AND id = $2', ['R-101', booking.id]), 1);
    assert.equal(await jobsFor(booking.id), 1);
  });

  test('concurrent duplicates: one booking, every answer the same', async () => {
    const key = randomUUID();
    const answers = await Promise.all([1, 2, 3, 4].map(() => service.book({ ...ROOM_9 }, key)));
    const created = answers.filter((a) => a.statusCode === 201);
    assert.ok(created.length >= 1, answers.map((a) => a.statusCode).join(','));
    for (const a of answers) assert.ok(a.statusCode === 201 || a.statusCode === 409, String(a.statusCode));
    assert.equal(new Set(created.map((a) => a.body)).size, 1);
    assert.equal(await service.count('bookings WHERE room = $1', [ROOM_9.room]), 1);
  });

  test('the same key with another body → 422 problem, nothing written', async () => {
    const key = randomUUID();
    assert.equal((await service.book({ ...ROOM_9, room: 'R-7' }, key)).statusCode, 201);
    const reused = await service.book({ ...ROOM_9, room: 'R-8' }, key);
    assert.equal(reused.statusCode, 422);
    assert.match(String(reused.headers['content-type']), PROBLEM);
    assert.equal(reused.json().type, '/problems/idempotency-key-reused');
    assert.equal(await service.count(`bookings WHERE room = 'R-8'`), 0);
  });

  test('no key → 400 problem; an invalid body → 400 problem naming the field; neither writes', async () => {
    const before = await service.count('bookings');
    const missing = await service.app.inject({ method: 'POST', url: '/bookings', payload: ROOM_9 });
    assert.equal(missing.statusCode, 400);
    assert.equal(missing.json().type, '/problems/idempotency-key-missing');
    const invalid = await service.book({ ...ROOM_9, amount: '12' });
    assert.equal(invalid.statusCode, 400);
    assert.equal(invalid.json().type, '/problems/validation-failed');
    assert.deepEqual(
      invalid.json().errors.map((e: { pointer: string }) => e.pointer),
      ['/amount'],
    );
    assert.equal(await service.count('bookings'), before);
  });
});

describe('PATCH /bookings/{id} with If-Match', () => {
  const patch = (id: string, guest: string, ifMatch?: string) =>
    service.app.inject({
      method: 'PATCH',
      url: `/bookings/${id}`,
      headers: {
        'content-type': 'application/merge-patch+json',
        ...(ifMatch ? { 'if-match': ifMatch } : {}),
      },
      payload: { guest },
    });

  test('428 without If-Match, 200 with the current ETag, 412 with a stale one', async () => {
    const { id } = (await service.book({ ...ROOM_9, room: 'R-20' })).json();
    const unconditional = await patch(id, 'Linus');
    assert.equal(unconditional.statusCode, 428);
    assert.equal(unconditional.json().type, '/problems/precondition-required');

    const changed = await patch(id, 'Linus', '"1"');
    assert.equal(changed.statusCode, 200);
    assert.equal(changed.headers.etag, '"2"');
    assert.equal(changed.json().guest, 'Linus');

    const stale = await patch(id, 'Ken', '"1"');
    assert.equal(stale.statusCode, 412);
    assert.match(String(stale.headers['content-type']), PROBLEM);
    assert.equal(stale.json().type, '/problems/precondition-failed');
    assert.equal(stale.headers.etag, '"2"');

    const read = await service.app.inject({ method: 'GET', url: `/bookings/${id}` });
    assert.equal(read.headers.etag, '"2"');
    assert.equal(read.json().guest, 'Linus');
  });
});

test('every error is problem+json: unknown booking, unknown route, wrong method, wrong content type', async () => {
  const answers = await Promise.all([
    service.app.inject({ method: 'GET', url: '/bookings/bkg_nope' }),
    service.app.inject({ method: 'GET', url: '/nowhere' }),
    service.app.inject({ method: 'DELETE', url: '/bookings/bkg_nope' }),
    service.app.inject({
      method: 'POST',
      url: '/bookings',
      headers: { 'idempotency-key': randomUUID(), 'content-type': 'text/plain' },
      payload: 'hello',
    }),
  ]);
  assert.deepEqual(
    answers.map((a) => [a.statusCode, a.json().type]),
    [
      [404, '/problems/not-found'],
      [404, '/problems/not-found'],
      [405, '/problems/method-not-allowed'],
      [415, '/problems/unsupported-media-type'],
    ],
  );
  for (const a of answers) assert.match(String(a.headers['content-type']), PROBLEM);
});
