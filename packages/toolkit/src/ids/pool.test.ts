/** The random pool and the system clock of @steadfast/toolkit/ids: what the id tests leave unseen. */
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { syncBuiltinESMExports } from 'node:module';
import { type TestContext, test } from 'node:test';
import { createIdGenerator, createRandomPool, systemClock } from './index.ts';

/** node:crypto's randomBytes replaced by one that records its sizes and fills call n with the byte n */
function countRandomBytes(t: TestContext) {
  const sizes: number[] = [];
  const fake = t.mock.method(crypto, 'randomBytes', (size: number) => {
    sizes.push(size);
    return Buffer.alloc(size, sizes.length);
  });
  syncBuiltinESMExports(); // the named import in index.ts sees the fake
  t.after(() => {
    fake.mock.restore();
    syncBuiltinESMExports();
  });
  return sizes;
}

test('the pool draws one block and hands it out in order, refilling only when a request does not fit', (t) => {
  const sizes = countRandomBytes(t);
  const random = createRandomPool(32);
  assert.deepEqual(sizes, [32]);
  assert.deepEqual([...random(10)], [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]);
  random(10);
  random(10);
  assert.deepEqual([...random(2)], [1, 1], 'the last 2 bytes of the block fit exactly');
  assert.deepEqual(sizes, [32]);
  assert.deepEqual([...random(1)], [2], 'the next byte needs a new block');
  assert.deepEqual(sizes, [32, 32]);
});

test('a request as large as the pool comes from the pool; a larger one is drawn on its own', (t) => {
  const sizes = countRandomBytes(t);
  const random = createRandomPool(8);
  assert.deepEqual([...random(8)], [1, 1, 1, 1, 1, 1, 1, 1]);
  assert.deepEqual(sizes, [8]);
  assert.equal(random(9).length, 9);
  assert.deepEqual(sizes, [8, 9]);
});

test('the system clock reads the time in milliseconds since the epoch, and is the default', () => {
  const before = Date.now();
  const now = systemClock.now();
  const id = createIdGenerator({ random: () => Buffer.alloc(10, 0) }).next('x');
  const after = Date.now();
  assert.ok(before <= now && now <= after, `${before} <= ${now} <= ${after}`);
  const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';
  const stampMs = [...id.slice(2, 12)].reduce((ms, c) => ms * 32 + ALPHABET.indexOf(c), 0);
  assert.ok(before <= stampMs && stampMs <= after, `${before} <= ${stampMs} <= ${after}`);
});

test('the random part starts from 79 of the 80 random bits, leaving room to count up within a millisecond', () => {
  const ids = createIdGenerator({ clock: { now: () => 0 }, random: () => Buffer.alloc(10, 0xff) });
  assert.equal(ids.next('x'), 'x_0000000000fzzzzzzzzzzzzzzz');
  assert.equal(ids.next('x'), 'x_0000000000g000000000000000');
});
