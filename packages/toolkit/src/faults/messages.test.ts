/** What a fault point's error and a bad spec's message say: the words an operator or a crash test reads. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createFaultPoints, FaultInjected, parseFaultSpec } from './index.ts';

test('a thrown fault is a FaultInjected by name, naming its point', () => {
  const faults = createFaultPoints(new Map([['after-claim-before-commit', 'throw']]));
  assert.throws(
    () => faults.hit('after-claim-before-commit'),
    (error: Error) => {
      assert.ok(error instanceof FaultInjected);
      assert.equal(error.name, 'FaultInjected');
      assert.equal(error.message, 'fault point after-claim-before-commit');
      return true;
    },
  );
});

test('an unknown point lists every known point, comma-separated', () => {
  assert.throws(() => parseFaultSpec('c', ['a', 'b']), {
    message: 'unknown fault point "c" (known: a, b)',
  });
});
