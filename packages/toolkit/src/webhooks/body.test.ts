/**
 * readBody on its own: a verified delivery's bytes → its payload and event
 * type, or the reason it is kept as failed — a reason that names the JSON
 * pointer, can be stored in a text column (no NUL, no lone surrogate) and is
 * at most 500 characters.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { readBody } from './body.ts';

const read = (text: string | Buffer, maxDepth = 32) =>
  readBody(typeof text === 'string' ? Buffer.from(text) : text, maxDepth);

describe('readBody', () => {
  test('a JSON object: its payload, and `type` as the event type when it is a string', () => {
    assert.deepEqual(read('{"type":"invoice.paid","data":{"n":1}}'), {
      ok: true,
      payload: { type: 'invoice.paid', data: { n: 1 } },
      eventType: 'invoice.paid',
    });
    for (const [text, payload] of [
      ['{"type":42}', { type: 42 }],
      ['{"type":{"name":"x"}}', { type: { name: 'x' } }],
      ['{"kind":"invoice.paid"}', { kind: 'invoice.paid' }],
      ['["invoice.paid"]', ['invoice.paid']],
      ['"invoice.paid"', 'invoice.paid'],
    ] as const) {
      assert.deepEqual(read(text), { ok: true, payload, eventType: null }, text);
    }
  });

  test('the JSON `null` is a usable payload without an event type', () => {
    assert.deepEqual(read('null'), { ok: true, payload: null, eventType: null });
  });

  test('bytes that are not UTF-8, or not JSON, each have their reason', () => {
    assert.deepEqual(read(Buffer.from([0x7b, 0xff, 0x7d])), { ok: false, reason: 'body is not valid UTF-8' });
    assert.deepEqual(read('{"type":'), { ok: false, reason: 'unparseable body' });
    assert.deepEqual(read(''), { ok: false, reason: 'unparseable body' });
  });

  test('a leading byte order mark is kept by the decoder, so the body is not JSON', () => {
    const withBom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"type":"x"}')]);
    assert.deepEqual(read(withBom), { ok: false, reason: 'unparseable body' });
  });

  test('a rule broken: the reason names the JSON pointer, "/" for the root', () => {
    const cases: [string, string][] = [
      ['"a\\u0000b"', 'body / contains U+0000 (NUL), which cannot be stored'],
      ['"\\ud800"', 'body / is not well-formed Unicode (it has a lone surrogate)'],
      ['{"note":"a\\u0000b"}', 'body /note contains U+0000 (NUL), which cannot be stored'],
      ['{"a/b":["x","\\udfff"]}', 'body /a~1b/1 is not well-formed Unicode (it has a lone surrogate)'],
      ['{"a":"\\u0000","b":"\\ud800"}', 'body /a contains U+0000 (NUL), which cannot be stored'],
    ];
    for (const [text, reason] of cases) assert.deepEqual(read(text), { ok: false, reason }, text);
  });

  test('nesting is limited by maxDepth: {} is one level', () => {
    assert.deepEqual(read('{"a":{"b":{}}}', 2), {
      ok: false,
      reason: 'body /a/b nests deeper than 2 levels',
    });
    assert.deepEqual(read('{"a":[]}', 2), { ok: true, payload: { a: [] }, eventType: null });
    assert.deepEqual(read('[[[]]]', 3), { ok: true, payload: [[[]]], eventType: null });
    assert.deepEqual(read('[[[[]]]]', 3), { ok: false, reason: 'body /0/0/0 nests deeper than 3 levels' });
  });

  test('the reason can be stored: a NUL or a lone surrogate in the pointer becomes U+FFFD', () => {
    assert.deepEqual(read('{"a\\u0000":1}'), {
      ok: false,
      reason: 'body /a\ufffd its member name contains U+0000 (NUL), which cannot be stored',
    });
    assert.deepEqual(read('{"\\ud800x":1}'), {
      ok: false,
      reason: 'body /\ufffdx its member name is not well-formed Unicode (it has a lone surrogate)',
    });
  });

  test('the reason is cut to 500 characters', () => {
    const result = read(`{"${'k'.repeat(600)}\\u0000":1}`);
    assert.deepEqual(result, { ok: false, reason: `body /${'k'.repeat(494)}` });
    const exact = read(`{"${'k'.repeat(448)}":"\\u0000"}`);
    const reason = `body /${'k'.repeat(448)} contains U+0000 (NUL), which cannot be stored`;
    assert.equal(reason.length, 500);
    assert.deepEqual(exact, { ok: false, reason });
  });
});
