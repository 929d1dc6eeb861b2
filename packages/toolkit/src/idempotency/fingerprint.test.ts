/** The fingerprint's canonical JSON: key order does not matter, and no depth can overflow it. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { canonicalJson, requestFingerprint } from '@steadfast/toolkit/idempotency';

function nested(levels: number, kind: 'array' | 'object'): unknown {
  let value: unknown = 'leaf';
  for (let i = 0; i < levels; i++) value = kind === 'array' ? [value] : { a: value };
  return value;
}

describe('canonicalJson', () => {
  test('sorts keys at every level and matches JSON.stringify for the rest', () => {
    const value = { b: [1, 'two', null, true, { z: 1, y: [{}, []] }], a: { d: -0.5, c: '\u2028"\\' } };
    assert.equal(
      canonicalJson(value),
      '{"a":{"c":"\u2028\\"\\\\","d":-0.5},"b":[1,"two",null,true,{"y":[{},[]],"z":1}]}',
    );
    assert.equal(canonicalJson({ a: 1, b: 2 }), canonicalJson({ b: 2, a: 1 }));
    assert.equal(canonicalJson('x'), '"x"');
    assert.equal(canonicalJson(undefined), 'null');
    assert.equal(canonicalJson({ gone: undefined, kept: [undefined] }), '{"kept":[null]}');
    assert.equal(canonicalJson([]), '[]');
  });

  test('a body 5,000 or 200,000 levels deep (arrays and objects) is fingerprinted without overflowing', () => {
    for (const kind of ['array', 'object'] as const) {
      for (const levels of [5_000, 200_000]) {
        const text = canonicalJson(nested(levels, kind));
        assert.ok(text.startsWith(kind === 'array' ? '[[[' : '{"a":{"a":'), kind);
        assert.equal(text.length, levels * (kind === 'array' ? 2 : 6) + 6);
      }
    }
    const a = requestFingerprint(nested(5_000, 'object'), { id: 'x' });
    assert.ok(a.equals(requestFingerprint(nested(5_000, 'object'), { id: 'x' })));
    assert.ok(!a.equals(requestFingerprint(nested(5_001, 'object'), { id: 'x' })));
  });

  test('a cyclic value is a TypeError, not an endless loop', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    assert.throws(() => canonicalJson(cyclic), TypeError);
    const shared = { x: 1 };
    assert.equal(canonicalJson([shared, shared]), '[{"x":1},{"x":1}]');
  });
});
