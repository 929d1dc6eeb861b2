import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_FLAGS } from './flags.ts';
import { partnerChaosConfig, planFaults } from './schedule.ts';

const targets = ['web-1', 'web-2', 'web-3', 'worker-1', 'worker-2'];

test('the default schedule: a kill every 15 s, one restart between two kills, partner chaos and db latency', () => {
  const events = planFaults(DEFAULT_FLAGS, targets, true);
  const kills = events.filter((e) => e.kind === 'kill');
  assert.deepEqual(
    kills.map((e) => e.atS),
    [15, 30, 45, 60, 75, 90, 105],
  );
  for (const k of kills) assert.ok(targets.includes(k.target));
  const restart = events.find((e) => e.kind === 'pg-restart');
  assert.equal(restart?.atS, 67.5);
  assert.deepEqual(
    events.filter((e) => e.kind === 'partner-chaos' || e.kind === 'db-latency').map((e) => [e.kind, e.atS]),
    [
      ['partner-chaos', 18],
      ['db-latency', 84],
    ],
  );
  assert.deepEqual(planFaults(DEFAULT_FLAGS, targets, true), events, 'the same seed, the same schedule');
});

test('faults turned off by their flags, and no restart without a cluster of our own', () => {
  const quiet = {
    ...DEFAULT_FLAGS,
    killEveryS: 0,
    partner5xx: 0,
    partnerLost: 0,
    partnerLatencyMs: 0,
    webhookDuplicate: 0,
    webhookDrop: 0,
    dbLatencyMs: 0,
  };
  assert.deepEqual(planFaults(quiet, targets, false), []);
  assert.deepEqual(
    planFaults(quiet, targets, true).map((e) => [e.kind, e.atS]),
    [['pg-restart', 60]],
  );
});

test('the partner chaos config carries the rates the flags set', () => {
  const config = partnerChaosConfig({
    ...DEFAULT_FLAGS,
    partner5xx: 0.3,
    partnerLost: 0,
    partnerLatencyMs: 0,
  });
  assert.deepEqual(config.rules, [
    { match: { path: '/payments/v1/*' }, fault: 'error', status: 503, probability: 0.3 },
  ]);
  assert.equal(config.webhooks.dropProbability, DEFAULT_FLAGS.webhookDrop);
});
