import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Attempt } from './client.ts';
import {
  exitCode,
  type FaultWindow,
  latencySplit,
  ledgerMismatches,
  percentile,
  recoveryS,
} from './report.ts';

const attempt = (startedAt: number, endedAt: number, status = 200): Attempt => ({
  startedAt,
  endedAt,
  status,
  step: 'create',
});

test('percentile: nearest rank; none of nothing', () => {
  const values = Array.from({ length: 100 }, (_, i) => i + 1);
  assert.equal(percentile(values, 50), 50);
  assert.equal(percentile(values, 99), 99);
  assert.equal(percentile([7], 99), 7);
  assert.equal(percentile([], 50), null);
});

test('latencies: an attempt overlapping a fault window counts as during, the rest as outside', () => {
  const window: FaultWindow = { kind: 'kill', detail: 'web-1', startAt: 1000, endAt: 2000, clearedAt: 1000 };
  const split = latencySplit(
    [attempt(0, 10), attempt(900, 1100), attempt(1500, 1600), attempt(1990, 2500), attempt(3000, 3020)],
    [window],
  );
  assert.deepEqual(split.during, { n: 3, p50Ms: 200, p99Ms: 510 });
  assert.deepEqual(split.outside, { n: 2, p50Ms: 10, p99Ms: 20 });
});

test('recovery: from the end of the fault until 5 answers in a row were 2xx', () => {
  const attempts = [
    attempt(50, 90), // before the fault's end: ignored
    attempt(100, 200, 503),
    attempt(110, 300),
    attempt(120, 400),
    attempt(130, 500, 0), // a broken connection resets the streak
    ...[600, 700, 800, 900, 1000].map((t) => attempt(510, t)),
  ];
  assert.equal(recoveryS(attempts, 100), 0.9);
  assert.equal(recoveryS(attempts.slice(0, 5), 100), null, 'never five in a row');
});

test('orders against the ledger: paid needs a successful charge, a charge needs a paid order', () => {
  const ledger = [
    { reference: 'pay:ord_a:1', status: 'succeeded' },
    { reference: 'pay:ord_b:1', status: 'failed' },
    { reference: 'pay:ord_c:1', status: 'succeeded' },
    { reference: 'pay:ord_e:1', status: 'failed' },
    { reference: 'pay:ord_e:2', status: 'succeeded' },
  ];
  const orders = [
    { id: 'ord_a', status: 'paid' }, // fine
    { id: 'ord_b', status: 'approved' }, // declined, back to approved: fine
    { id: 'ord_c', status: 'approved' }, // charged but not paid
    { id: 'ord_d', status: 'paid' }, // paid without a charge
    { id: 'ord_e', status: 'paid' }, // paid on the second attempt: fine
    { id: 'ord_f', status: 'payment_pending' }, // still waiting after quiescence
  ];
  assert.deepEqual(
    ledgerMismatches(orders, ledger).map((m) => m.orderId),
    ['ord_c', 'ord_d', 'ord_f'],
  );
});

test('exit status 1 when anything was lost, charged twice or mismatched', () => {
  assert.equal(exitCode({ lost: 0, doubleCharges: 0, mismatched: 0 }), 0);
  assert.equal(exitCode({ lost: 1, doubleCharges: 0, mismatched: 0 }), 1);
  assert.equal(exitCode({ lost: 0, doubleCharges: 1, mismatched: 0 }), 1);
  assert.equal(exitCode({ lost: 0, doubleCharges: 0, mismatched: 1 }), 1);
});
