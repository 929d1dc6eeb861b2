/** The JSON body rules: depth, NUL and lone surrogates in values and member names, the issue cap. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DEFAULT_JSON_MAX_DEPTH, jsonRuleIssues, unstorableText } from './json-rules.ts';

const NUL = 'contains U+0000 (NUL), which cannot be stored';
const SURROGATE = 'is not well-formed Unicode (it has a lone surrogate)';

/** `levels` arrays inside each other: `[]` is 1 */
function nested(levels: number): unknown {
  let value: unknown = [];
  for (let i = 1; i < levels; i++) value = [value];
  return value;
}

describe('unstorableText', () => {
  test('NUL and lone surrogates are refused, each with its reason; anything else passes', () => {
    assert.equal(unstorableText('a\u0000b'), NUL);
    assert.equal(unstorableText('\ud800'), SURROGATE);
    assert.equal(unstorableText('x\udc00'), SURROGATE);
    assert.equal(unstorableText('\u0000\ud800'), NUL, 'NUL is named first');
    for (const fine of ['', 'plain', '😀', '\u0001\u001f\t\n', '\ud83d\ude00'])
      assert.equal(unstorableText(fine), undefined, JSON.stringify(fine));
  });
});

describe('jsonRuleIssues', () => {
  test('an acceptable value has no issues', () => {
    assert.deepEqual(jsonRuleIssues({ a: [1, 'two', { three: null }], b: true }), []);
    assert.deepEqual(jsonRuleIssues('text'), []);
    assert.deepEqual(jsonRuleIssues(null), []);
  });

  test('depth: {} is one level; the default allows 32 and refuses 33 at the first container too deep', () => {
    assert.equal(DEFAULT_JSON_MAX_DEPTH, 32);
    assert.deepEqual(jsonRuleIssues(nested(32)), []);
    const pointer33 = `/${Array(32).fill(0).join('/')}`;
    assert.deepEqual(jsonRuleIssues(nested(33)), [
      { pointer: pointer33, message: 'nests deeper than 32 levels', in: 'body' },
    ]);
    assert.deepEqual(jsonRuleIssues({ a: [] }, { maxDepth: 2 }), []);
    assert.deepEqual(jsonRuleIssues({ a: [[]] }, { maxDepth: 2 }), [
      { pointer: '/a/0', message: 'nests deeper than 2 levels', in: 'body' },
    ]);
    assert.deepEqual(jsonRuleIssues({ a: 'deep strings are fine' }, { maxDepth: 1 }), []);
  });

  test('what is inside a container too deep is not looked at: one issue for it', () => {
    assert.deepEqual(jsonRuleIssues({ a: { b: ['\u0000', '\ud800'] } }, { maxDepth: 2 }), [
      { pointer: '/a/b', message: 'nests deeper than 2 levels', in: 'body' },
    ]);
  });

  test('values and member names with NUL or a lone surrogate, each with its pointer', () => {
    assert.deepEqual(
      jsonRuleIssues({
        list: ['ok', 'a\u0000'],
        'na/me\u0000': 1,
        ok: '\ud800',
        'ti~lde': { '\udfff': 'x' },
      }),
      [
        { pointer: '/list/1', message: NUL, in: 'body' },
        { pointer: '/na~1me\u0000', message: `its member name ${NUL}`, in: 'body' },
        { pointer: '/ok', message: SURROGATE, in: 'body' },
        { pointer: '/ti~0lde/\udfff', message: `its member name ${SURROGATE}`, in: 'body' },
      ],
    );
  });

  test('a bad member name and a bad value under it are two issues', () => {
    assert.deepEqual(jsonRuleIssues({ '\u0000': '\u0000' }), [
      { pointer: '/\u0000', message: `its member name ${NUL}`, in: 'body' },
      { pointer: '/\u0000', message: NUL, in: 'body' },
    ]);
  });

  test('the walk stops at maxIssues (default 20), whichever rule found them', () => {
    const many = Array.from({ length: 50 }, () => '\u0000');
    assert.equal(jsonRuleIssues(many).length, 20);
    const five = jsonRuleIssues(many, { maxIssues: 5 });
    assert.deepEqual(
      five.map((i) => i.pointer),
      ['/0', '/1', '/2', '/3', '/4'],
    );
    const deep = Array.from({ length: 50 }, () => [[]]);
    assert.equal(jsonRuleIssues(deep, { maxDepth: 2, maxIssues: 3 }).length, 3);
    assert.equal(jsonRuleIssues(deep, { maxDepth: 2 }).length, 20);
  });
});
