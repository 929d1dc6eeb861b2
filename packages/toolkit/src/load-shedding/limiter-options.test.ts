/** The limiters' option checks, message by message: what an operator reads when a limit is misconfigured. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createAdaptiveConcurrencyLimit, createFixedConcurrencyLimit } from './limiter.ts';

test('each bad option is refused with a message naming it, its range and the value given', () => {
  const cases: [() => unknown, string][] = [
    [() => createFixedConcurrencyLimit({ fixedLimit: 0 }), 'fixedLimit must be a positive integer, got 0'],
    [() => createAdaptiveConcurrencyLimit({ maxLimit: 1.5 }), 'maxLimit must be a positive integer, got 1.5'],
    [
      () => createAdaptiveConcurrencyLimit({ initialLimit: 30, maxLimit: 20 }),
      'minLimit ≤ initialLimit ≤ maxLimit is required, got 4, 30, 20',
    ],
    [() => createAdaptiveConcurrencyLimit({ tolerance: 0.99 }), 'tolerance must be ≥ 1, got 0.99'],
    [() => createAdaptiveConcurrencyLimit({ smoothing: 1.01 }), 'smoothing must be in (0, 1], got 1.01'],
    [
      () => createAdaptiveConcurrencyLimit({ baselineWindows: 0 }),
      'baselineWindows must be a positive integer, got 0',
    ],
    [() => createAdaptiveConcurrencyLimit({ windowMs: -1 }), 'windowMs must be ≥ 0, got -1'],
    [
      () => createAdaptiveConcurrencyLimit({ minWindowSamples: 0 }),
      'minWindowSamples must be a positive integer, got 0',
    ],
    [
      () => createFixedConcurrencyLimit({ fixedLimit: 4, shares: { normal: 0 } }),
      'shares.normal must be in (0, 1], got 0',
    ],
    [
      () => createFixedConcurrencyLimit({ fixedLimit: 4, shares: { normal: 0.5, sheddable: 0.6 } }),
      'shares.sheddable must be in (0, 0.5], got 0.6',
    ],
  ];
  for (const [create, message] of cases) assert.throws(create, { name: 'RangeError', message });
});

test('the edges of each range are accepted', () => {
  assert.equal(
    createFixedConcurrencyLimit({ fixedLimit: 1, shares: { normal: 1, sheddable: 1 } }).limit(),
    1,
  );
  const limiter = createAdaptiveConcurrencyLimit({
    minLimit: 1,
    initialLimit: 1,
    maxLimit: 1,
    tolerance: 1,
    smoothing: 1,
    windowMs: 0,
    minWindowSamples: 1,
    baselineWindows: 1,
  });
  assert.equal(limiter.limit(), 1);
  assert.equal(createAdaptiveConcurrencyLimit().limit(), 20);
});
