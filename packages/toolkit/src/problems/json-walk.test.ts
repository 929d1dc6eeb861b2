/** walkJson: what each visit is told, in which order, and how skip, stop, cycles and depth behave. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type JsonStep, type JsonVisitor, jsonPointer, walkJson } from './json-walk.ts';

type Seen = [string, ...unknown[]];

/** every enter and leave, with a copy of the step (the path is live) */
function record(
  root: unknown,
  verdict: (value: unknown, step: JsonStep) => undefined | 'skip' | 'stop' = () => undefined,
  options = {},
): Seen[] {
  const seen: Seen[] = [];
  const visitor: JsonVisitor = {
    enter(value, step) {
      seen.push(['enter', value, step.key, step.hasPrevious, step.inArray, step.depth, [...step.path]]);
      return verdict(value, step);
    },
    leave(value, isArray) {
      seen.push(['leave', value, isArray]);
    },
  };
  walkJson(root, visitor, options);
  return seen;
}

describe('walkJson', () => {
  test('containers before their members, with key, order, array flag, depth and path', () => {
    const inner = { c: null };
    const list = [true, inner];
    const root = { b: 1, a: list };
    assert.deepEqual(record(root), [
      ['enter', root, undefined, false, false, 0, []],
      ['enter', 1, 'b', false, false, 1, ['b']],
      ['enter', list, 'a', true, false, 1, ['a']],
      ['enter', true, 0, false, true, 2, ['a', 0]],
      ['enter', inner, 1, true, true, 2, ['a', 1]],
      ['enter', null, 'c', false, false, 3, ['a', 1, 'c']],
      ['leave', inner, false],
      ['leave', list, true],
      ['leave', root, false],
    ]);
  });

  test('sortKeys visits members in sorted order; without it, in insertion order', () => {
    const keys = (options: object) =>
      record({ b: 1, c: 2, a: 3 }, undefined, options)
        .filter((s) => s[0] === 'enter' && s[2] !== undefined)
        .map((s) => s[2]);
    assert.deepEqual(keys({ sortKeys: true }), ['a', 'b', 'c']);
    assert.deepEqual(keys({}), ['b', 'c', 'a']);
  });

  test('undefined members of an object are left out (and do not count as previous); in an array they are visited', () => {
    const seen = record({ gone: undefined, kept: 1, list: [undefined] });
    assert.deepEqual(
      seen.filter((s) => s[0] === 'enter').map((s) => [s[2], s[3]]),
      [
        [undefined, false],
        ['kept', false],
        ['list', true],
        [0, false],
      ],
    );
  });

  test("'skip' leaves out a container's members and its leave; the walk goes on with its siblings", () => {
    const skipped = { deep: { deeper: 1 } };
    const root = { first: skipped, second: [2] };
    const seen = record(root, (value) => (value === skipped ? 'skip' : undefined));
    assert.deepEqual(
      seen.map((s) => (s[0] === 'enter' ? ['enter', s[2], s[6]] : ['leave', s[2]])),
      [
        ['enter', undefined, []],
        ['enter', 'first', ['first']],
        ['enter', 'second', ['second']],
        ['enter', 0, ['second', 0]],
        ['leave', true],
        ['leave', false],
      ],
    );
  });

  test("'stop' ends the walk at once: no further visit, no leave", () => {
    const seen = record({ a: [1, 2, 3], b: 4 }, (value) => (value === 2 ? 'stop' : undefined));
    assert.deepEqual(
      seen.map((s) => [s[0], s[2]]),
      [
        ['enter', undefined],
        ['enter', 'a'],
        ['enter', 0],
        ['enter', 1],
      ],
    );
    assert.deepEqual(
      record(7, () => 'stop'),
      [['enter', 7, undefined, false, false, 0, []]],
    );
  });

  test('a cycle throws a TypeError; the same object twice side by side is no cycle', () => {
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = cyclic;
    assert.throws(() => walkJson(cyclic, { enter: () => undefined }), TypeError);
    const shared = { x: 1 };
    const seen = record([shared, shared]);
    assert.equal(seen.filter((s) => s[0] === 'enter' && s[1] === shared).length, 2);
  });

  test('nesting 100,000 levels deep is walked without overflowing the stack', () => {
    let root: unknown = 'leaf';
    for (let i = 0; i < 100_000; i++) root = [root];
    let deepest = 0;
    let leaves = 0;
    walkJson(root, {
      enter(value, step) {
        deepest = Math.max(deepest, step.depth);
        if (value === 'leaf') leaves++;
        return undefined;
      },
    });
    assert.equal(deepest, 100_000);
    assert.equal(leaves, 1);
  });

  test('primitives and empty containers at the root', () => {
    assert.deepEqual(record('x'), [['enter', 'x', undefined, false, false, 0, []]]);
    const empty: unknown[] = [];
    assert.deepEqual(record(empty), [
      ['enter', empty, undefined, false, false, 0, []],
      ['leave', empty, true],
    ]);
  });
});

describe('jsonPointer (RFC 6901)', () => {
  test('segments joined with /, ~ escaped as ~0 and / as ~1, indexes as numbers', () => {
    assert.equal(jsonPointer([]), '');
    assert.equal(jsonPointer(['a']), '/a');
    assert.equal(jsonPointer(['a/b', 'm~n', 0]), '/a~1b/m~0n/0');
    assert.equal(jsonPointer(['~/~/']), '/~0~1~0~1');
    assert.equal(jsonPointer(['']), '/');
  });
});
