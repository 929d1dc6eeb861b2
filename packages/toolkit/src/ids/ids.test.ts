import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createFakeClock } from '../testing/fake-clock.ts';
import { createIdGenerator, idPattern } from './index.ts';

test('ids carry the prefix, match the pattern and sort by creation, even within one millisecond', () => {
  const clock = createFakeClock();
  const ids = createIdGenerator({ clock });
  const made: string[] = [];
  for (let i = 0; i < 1000; i++) {
    if (i % 100 === 0) clock.advance(1);
    made.push(ids.next('ord'));
  }
  const pattern = new RegExp(idPattern('ord'));
  assert.ok(made.every((id) => pattern.test(id)));
  assert.deepEqual([...made].sort(), made);
  assert.equal(new Set(made).size, made.length);
});

test('a clock that goes backwards does not break ordering', () => {
  const clock = createFakeClock(10_000);
  const ids = createIdGenerator({ clock });
  const a = ids.next('op');
  clock.set(5_000);
  const b = ids.next('op');
  assert.ok(b > a);
});

test('randomness is injected', () => {
  const fixed = () => Buffer.alloc(10, 0);
  const clock = createFakeClock(0);
  assert.equal(createIdGenerator({ clock, random: fixed }).next('x'), 'x_00000000000000000000000000');
});
