/** oneAtATime: runs never overlap; a call made during a run starts after it and gets its own result; a failure does not stop the next. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { oneAtATime } from '@steadfast/toolkit/postgres';

test('calls during a run wait for it, in order; each gets its own result; busy() while any is queued', async () => {
  let active = 0;
  let most = 0;
  let n = 0;
  const gates: Array<() => void> = [];
  const serial = oneAtATime(async () => {
    active++;
    most = Math.max(most, active);
    const mine = ++n;
    await new Promise<void>((resolve) => gates.push(resolve));
    active--;
    if (mine === 2) throw new Error('second run failed');
    return mine;
  });
  assert.equal(serial.busy(), false);
  const first = serial.run();
  const second = serial.run();
  const third = serial.run();
  assert.equal(serial.busy(), true);
  while (gates.length < 1) await new Promise((r) => setImmediate(r));
  for (let i = 0; i < 3; i++) {
    while (gates.length === 0) await new Promise((r) => setImmediate(r));
    gates.shift()?.();
  }
  assert.equal(await first, 1);
  await assert.rejects(second, /second run failed/);
  assert.equal(await third, 3, 'a failed run does not stop the next');
  assert.equal(most, 1, 'never two at once');
  await new Promise((r) => setImmediate(r));
  assert.equal(serial.busy(), false);
});
