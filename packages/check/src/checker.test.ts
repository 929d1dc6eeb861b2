/** The checker against fake APIs that each have exactly one fault (the matching checks fail), and its command line. */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { runChecks } from './run.ts';
import { type Fault, startFakeApi } from './testing/fake-api.ts';
import { runCli } from './testing/run-cli.ts';

describe('each fault is caught by its check, and only by it', () => {
  const expectations: [Fault, string[]][] = [
    ['race', ['idempotency.storm']],
    ['unscoped-keys', ['idempotency.tenant-scope']],
    ['raw-fingerprint', ['idempotency.fingerprint']],
    [
      'patch-ignores-if-match',
      ['concurrency.if-match-required', 'concurrency.stale', 'concurrency.lost-update'],
    ],
    ['text-errors', ['problems.format']],
    ['malformed-json-500', ['contract.server-error', 'contract.negative-input']],
    ['unknown-fields-accepted', ['contract.negative-input']],
    ['missing-key-accepted', ['idempotency.required']],
  ];
  test('a fake API without faults passes', async () => {
    const fake = await startFakeApi();
    try {
      const report = await runChecks({
        baseUrl: fake.url,
        apiKey: 'tenant-a-key',
        otherApiKey: 'tenant-b-key',
        seed: 1,
      });
      assert.deepEqual(
        report.checks.filter((c) => c.status === 'failed').map((c) => `${c.id}: ${c.detail}`),
        [],
      );
    } finally {
      await fake.close();
    }
  });
  for (const [fault, ids] of expectations) {
    test(`${fault} → ${ids.join(', ')}`, async () => {
      const fake = await startFakeApi(fault);
      try {
        const report = await runChecks({
          baseUrl: fake.url,
          apiKey: 'tenant-a-key',
          otherApiKey: 'tenant-b-key',
          seed: 1,
        });
        const failed = [
          ...new Set(report.checks.filter((c) => c.status === 'failed').map((c) => c.id)),
        ].sort();
        assert.deepEqual(failed, [...ids].sort());
        const one = report.checks.find((c) => c.status === 'failed');
        assert.ok(one && one.evidence.length > 0, 'a failure carries evidence');
      } finally {
        await fake.close();
      }
    });
  }
});

describe('the command line', () => {
  test('exit 0 / 1, JSON and JUnit reports, exit 2 for usage and unreachable targets', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'check-'));
    const good = await startFakeApi();
    const bad = await startFakeApi('missing-key-accepted');
    try {
      const ok = await runCli(
        [good.url, '--api-key', 'k1', '--json', `${dir}/ok.json`, '--junit', `${dir}/ok.xml`],
        {},
      );
      assert.equal(ok.code, 0, ok.stdout + ok.stderr);
      assert.match(ok.stdout, /\d+ passed, 0 failed/);
      const json = JSON.parse(fs.readFileSync(`${dir}/ok.json`, 'utf8'));
      assert.deepEqual(Object.keys(json).sort(), [
        'checks',
        'durationMs',
        'requestsByGroup',
        'startedAt',
        'summary',
        'target',
      ]);
      assert.match(
        fs.readFileSync(`${dir}/ok.xml`, 'utf8'),
        /<testsuites name="steadfast check" tests="\d+" failures="0"/,
      );
      const failing = await runCli([bad.url, '--api-key', 'k1', '--only', 'idempotency'], {});
      assert.equal(failing.code, 1);
      assert.match(failing.stdout, /✗ idempotency\.required/);
      assert.match(failing.stdout, /curl -sS -X POST/);
      assert.equal((await runCli([], {})).code, 2);
      assert.equal((await runCli([good.url, '--only', 'nonsense'], {})).code, 2);
      const unreachable = await runCli(['http://127.0.0.1:9'], {});
      assert.equal(unreachable.code, 2);
      assert.equal(unreachable.stderr.trim().split('\n').length, 1);
    } finally {
      await good.close();
      await bad.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
