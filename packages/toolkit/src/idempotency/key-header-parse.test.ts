/** parseIdempotencyKey, case by case: what each header value parses to, and each refusal's reason. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseIdempotencyKey } from './key-header.ts';

const LENGTH = 'the key must be 1-255 characters';
const QUOTED = 'the quoted key has characters a structured-field string does not allow';
const BARE = 'the key must be 1-255 visible ASCII characters, bare or as a quoted string';

describe('parseIdempotencyKey', () => {
  test('bare keys: surrounding whitespace is trimmed, a lone or one-sided quote is an ordinary character', () => {
    const cases: [string, ReturnType<typeof parseIdempotencyKey>][] = [
      ['  abc  ', { ok: true, key: 'abc' }],
      ['\tk-1 ', { ok: true, key: 'k-1' }],
      ['"', { ok: true, key: '"' }],
      ['"abc', { ok: true, key: '"abc' }],
      ['abc"', { ok: true, key: 'abc"' }],
      ['a"b', { ok: true, key: 'a"b' }],
      ['x', { ok: true, key: 'x' }],
    ];
    for (const [header, expected] of cases)
      assert.deepEqual(parseIdempotencyKey(header), expected, JSON.stringify(header));
  });

  test('quoted keys: 1 to 255 characters after unescaping, trimmed outside the quotes only', () => {
    const cases: [string, ReturnType<typeof parseIdempotencyKey>][] = [
      ['"a"', { ok: true, key: 'a' }],
      [' "a b" ', { ok: true, key: 'a b' }],
      ['"a\\\\b"', { ok: true, key: 'a\\b' }],
      [`"${'y'.repeat(254)}"`, { ok: true, key: 'y'.repeat(254) }],
      [`"${'y'.repeat(255)}"`, { ok: true, key: 'y'.repeat(255) }],
      // 256 characters once unescaped: 255 escapes read as 255 characters, plus one
      [`"${'\\"'.repeat(255)}z"`, { ok: false, reason: LENGTH }],
      [`"${'y'.repeat(256)}"`, { ok: false, reason: LENGTH }],
      ['""', { ok: false, reason: LENGTH }],
    ];
    for (const [header, expected] of cases)
      assert.deepEqual(parseIdempotencyKey(header), expected, JSON.stringify(header));
  });

  test('each refusal says why', () => {
    const cases: [string | string[], ReturnType<typeof parseIdempotencyKey>][] = [
      [['a', 'b'], { ok: false, reason: 'send exactly one Idempotency-Key header' }],
      ['"a"b"', { ok: false, reason: QUOTED }],
      ['"a\\b"', { ok: false, reason: QUOTED }],
      ['"tab\there"', { ok: false, reason: QUOTED }],
      ['"ünï"', { ok: false, reason: QUOTED }],
      ['', { ok: false, reason: BARE }],
      ['   ', { ok: false, reason: BARE }],
      ['has space', { ok: false, reason: BARE }],
      ['ünïcode', { ok: false, reason: BARE }],
      ['x'.repeat(256), { ok: false, reason: BARE }],
    ];
    for (const [header, expected] of cases)
      assert.deepEqual(parseIdempotencyKey(header), expected, JSON.stringify(header));
  });
});
