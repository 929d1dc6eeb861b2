/** Run every check against a fresh fake API with one fault (or none): the report. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runChecks } from '../run.ts';
import { type Fault, startFakeApi } from './fake-api.ts';

export async function checkFake(fault?: Fault, options: { requireKey?: boolean } = {}) {
  const fake = await startFakeApi(fault);
  try {
    return await runChecks({
      baseUrl: fake.url,
      apiKey: 'tenant-a-key',
      otherApiKey: 'tenant-b-key',
      seed: 1,
      lroTimeoutMs: 1500,
      ...options,
    });
  } finally {
    await fake.close();
  }
}

/** the checks that failed, once each, sorted */
export const failedIds = (report: Awaited<ReturnType<typeof checkFake>>) =>
  [...new Set(report.checks.filter((c) => c.status === 'failed').map((c) => c.id))].sort();

/** One test per fault of the table: exactly its checks fail, and each failure carries evidence. */
export function testDetection(table: readonly (readonly [Fault, readonly string[]])[]): void {
  for (const [fault, ids] of table) {
    test(`${fault} → ${ids.join(', ')}`, async () => {
      const report = await checkFake(fault);
      assert.deepEqual(failedIds(report), [...ids].sort());
      for (const c of report.checks.filter((x) => x.status === 'failed'))
        assert.ok(c.evidence.length > 0, `${c.id} ${c.operation} carries evidence`);
    });
  }
}
