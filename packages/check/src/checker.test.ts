/** The checker against fake APIs with one fault each (the first half of the detection table; the rest in checker-v2.test.ts), the correct fake, optional keys, determinism. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { checkFake, testDetection } from './testing/check-fake.ts';
import type { Fault } from './testing/fake-api.ts';

const AUTH = ['auth.missing', 'auth.malformed', 'auth.unknown-key'];

/** fault → the checks that catch it (the detection table in docs/checker.md) */
const DETECTION: [Fault, string[]][] = [
  ['race', ['idempotency.storm', 'idempotency.failure-replay']],
  ['unscoped-keys', ['idempotency.tenant-scope']],
  ['raw-fingerprint', ['idempotency.fingerprint']],
  [
    'patch-ignores-if-match',
    ['concurrency.if-match-required', 'concurrency.stale', 'concurrency.lost-update'],
  ],
  ['text-errors', ['problems.format', ...AUTH]],
  ['malformed-json-500', ['contract.server-error', 'contract.negative-input']],
  ['unknown-fields-accepted', ['contract.negative-input']],
  ['missing-key-accepted', ['idempotency.required']],
  ['global-keys', ['idempotency.cross-route']],
  ['reuse-417', ['idempotency.reuse']],
];

describe('each fault is caught by its check, and only by it', () => {
  test('a fake API without faults passes every check, none skipped, no warning', async () => {
    const report = await checkFake();
    assert.deepEqual(
      report.checks.filter((c) => c.status !== 'passed').map((c) => `${c.id} ${c.status}: ${c.detail}`),
      [],
    );
    for (const group of [
      'contract',
      'auth',
      'idempotency',
      'concurrency',
      'sequence',
      'lro',
      'rate-limit',
      'problems',
    ])
      assert.ok(
        report.checks.some((c) => c.group === group),
        `${group} ran`,
      );
  });
  testDetection(DETECTION);
  test('an optional Idempotency-Key is still exercised; "not required" is a warning, a failure with --require-key', async () => {
    const lenient = await checkFake('optional-key');
    assert.deepEqual(
      lenient.checks.filter((c) => c.status === 'failed').map((c) => c.id),
      [],
    );
    const warned = lenient.checks.filter((c) => c.status === 'warning');
    assert.ok(warned.length > 0 && warned.every((c) => c.id === 'idempotency.required'));
    for (const id of ['idempotency.storm', 'idempotency.replay', 'idempotency.lost-response'])
      assert.ok(
        lenient.checks.some((c) => c.id === id && c.status === 'passed'),
        `${id} ran`,
      );
    const strict = await checkFake('optional-key', { requireKey: true });
    assert.deepEqual(
      [...new Set(strict.checks.filter((c) => c.status === 'failed').map((c) => c.id))],
      ['idempotency.required'],
    );
  });
  test('the same seed sends the same requests (failure-replay follows the failures the target happened to give)', async () => {
    const bodies = async () => {
      const report = await checkFake();
      return report.checks
        .filter((c) => c.id !== 'idempotency.failure-replay')
        .map(
          (c) =>
            `${c.id} ${c.operation} ${c.evidence.map((e) => `${e.request.method} ${new URL(e.request.url).pathname} ${e.request.body ?? ''}`).join('|')}`,
        );
    };
    // ids the fake hands out are in the paths: two fresh fakes, same seed → the same requests
    assert.deepEqual(await bodies(), await bodies());
  });
});
