import assert from 'node:assert/strict';
import { test } from 'node:test';
import { canonicalJson, requestFingerprint } from './fingerprint.ts';
import { parseIdempotencyKey } from './key-header.ts';

test('keys are accepted bare or as structured-field strings', () => {
  assert.deepEqual(parseIdempotencyKey('abc-123'), { ok: true, key: 'abc-123' });
  assert.deepEqual(parseIdempotencyKey('"abc-123"'), { ok: true, key: 'abc-123' });
  assert.deepEqual(parseIdempotencyKey('"a \\"b\\" c"'), { ok: true, key: 'a "b" c' });
  assert.deepEqual(parseIdempotencyKey('x'.repeat(255)), { ok: true, key: 'x'.repeat(255) });
  assert.equal(parseIdempotencyKey(undefined), undefined);
});

test('malformed keys are refused', () => {
  for (const bad of ['', 'has space', 'x'.repeat(256), 'ünïcode', '""', '"unterminated\\"', ['a', 'b']]) {
    const parsed = parseIdempotencyKey(bad as string);
    assert.equal(parsed?.ok, false, JSON.stringify(bad));
  }
});

test('canonical JSON ignores key order and keeps array order', () => {
  assert.equal(canonicalJson({ b: 1, a: { d: [2, 1], c: null } }), '{"a":{"c":null,"d":[2,1]},"b":1}');
  assert.equal(canonicalJson({ a: 1, b: 2 }), canonicalJson({ b: 2, a: 1 }));
  assert.notEqual(canonicalJson([1, 2]), canonicalJson([2, 1]));
});

test('fingerprints cover the body and the path parameters', () => {
  const a = requestFingerprint({ x: 1, y: 2 }, { id: 'o1' });
  assert.ok(a.equals(requestFingerprint({ y: 2, x: 1 }, { id: 'o1' })));
  assert.ok(!a.equals(requestFingerprint({ x: 1, y: 3 }, { id: 'o1' })));
  assert.ok(!a.equals(requestFingerprint({ x: 1, y: 2 }, { id: 'o2' })));
  assert.ok(requestFingerprint(undefined, {}).equals(requestFingerprint(null, {})));
});
