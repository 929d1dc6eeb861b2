/** The second half of the detection table: faults only the v2 checks (failure replay, auth, sequences, long-running operations, rate limits, a dying target) catch. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { checkFake, testDetection } from './testing/check-fake.ts';
import type { Fault } from './testing/fake-api.ts';

const DETECTION: [Fault, string[]][] = [
  ['stores-failures', ['idempotency.failure-replay']],
  ['auth-ignored', ['auth.missing', 'auth.malformed', 'auth.unknown-key']],
  ['unknown-key-accepted', ['auth.unknown-key']],
  ['archived-writable', ['sequence.use-after-free']],
  ['lro-no-retry-after', ['lro.accepted']],
  ['lro-never-finishes', ['lro.terminal']],
  ['lro-error-not-problem', ['lro.error-problem']],
  ['prefer-wait-lies', ['lro.prefer-wait']],
  ['no-retry-after', ['rate-limit.retry-after']],
  ['rate-limit-sticky', ['rate-limit.recovers']],
  ['dies', ['target.unavailable']],
];

describe('each v2 fault is caught by its check, and only by it', () => {
  testDetection(DETECTION);
  test('a target that dies mid-run still yields a report: the checks before it, then target.unavailable', async () => {
    const report = await checkFake('dies');
    assert.ok(
      report.checks.filter((c) => c.status === 'passed').length > 10,
      'the checks before it are kept',
    );
    const unavailable = report.checks.filter((c) => c.id === 'target.unavailable');
    assert.equal(unavailable.length, 1);
    assert.equal(unavailable[0].status, 'failed');
    assert.equal(report.summary.failed, 1);
  });
});
