import assert from 'node:assert/strict';
import { test } from 'node:test';
import { metricSum, slope } from './soak-stats.ts';

test('slope is the least-squares fit of the points, 0 when it cannot be told', () => {
  assert.equal(
    slope([
      { x: 0, y: 1 },
      { x: 1, y: 3 },
      { x: 2, y: 5 },
    ]),
    2,
  );
  // noise around a flat line: the fit, not the last minus the first
  assert.equal(
    slope([
      { x: 0, y: 10 },
      { x: 1, y: 12 },
      { x: 2, y: 10 },
      { x: 3, y: 12 },
    ]),
    0.4,
  );
  assert.equal(slope([{ x: 1, y: 5 }]), 0);
  assert.equal(
    slope([
      { x: 1, y: 5 },
      { x: 1, y: 7 },
    ]),
    0,
  );
});

test('metricSum adds every series of one metric and no other metric sharing its prefix', () => {
  const text = [
    '# HELP steadfast_shed_requests_total Requests refused',
    '# TYPE steadfast_shed_requests_total counter',
    'steadfast_shed_requests_total{criticality="critical"} 0',
    'steadfast_shed_requests_total{criticality="normal"} 7',
    'steadfast_shed_requests_total{criticality="sheddable"} 3',
    'steadfast_shed_requests_total_extra 100',
    'steadfast_concurrency_limit 44',
  ].join('\n');
  assert.equal(metricSum(text, 'steadfast_shed_requests_total'), 10);
  assert.equal(metricSum(text, 'steadfast_concurrency_limit'), 44);
  assert.equal(metricSum(text, 'steadfast_background_errors_total'), 0);
});
