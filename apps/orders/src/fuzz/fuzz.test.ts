/**
 * The fuzz suite in `npm test`: every operation of the OpenAPI document gets
 * FUZZ_TEST_RUNS generated requests (default 25) with a fixed seed, and every
 * answer must keep the invariants (./invariants.ts). A failure prints the
 * shrunk counter-example and how to replay it with `npm run fuzz`.
 * The longer run: `FUZZ_RUNS=500 npm run fuzz` (docs/fuzzing.md).
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { fuzzOperation, type OperationReport } from './fuzz-runner.ts';
import { openFuzzSession } from './fuzz-session.ts';

const SEED = Number(process.env.FUZZ_SEED ?? 1313);
const RUNS = Number(process.env.FUZZ_TEST_RUNS ?? 25);

const session = await openFuzzSession();
after(() => session.close());
const reports: OperationReport[] = [];

describe(`fuzz from the OpenAPI document (seed ${SEED}, ${RUNS} requests per operation)`, () => {
  test('covers every operation of the document, webhook intake included', () => {
    const names = session.operations.map((op) => op.name);
    assert.ok(names.includes('POST /v1/orders'));
    assert.ok(names.includes('PATCH /v1/orders/{id}'));
    assert.ok(names.includes('POST /webhooks/payments'));
    assert.ok(names.length >= 20, `only ${names.length} operations`);
  });

  for (const op of session.operations) {
    test(op.name, async (t) => {
      const report = await fuzzOperation(session.ctx, op, { seed: SEED, numRuns: RUNS, mode: 'fail' });
      reports.push(report);
      for (const { finding } of report.examples.values()) {
        if (finding.kind === 'contract')
          t.diagnostic(`undocumented answer: ${finding.status} ${finding.detail}`);
      }
      assert.equal(report.failure, undefined, report.failure);
    });
  }

  test('summary', (t) => {
    const requests = reports.reduce((n, r) => n + r.requests, 0);
    const fiveXx = reports.reduce(
      (n, r) => n + Object.entries(r.statuses).reduce((m, [s, c]) => m + (Number(s) >= 500 ? c : 0), 0),
      0,
    );
    t.diagnostic(`${reports.length} operations × ${RUNS} runs: ${requests} requests, ${fiveXx} answered 5xx`);
  });
});
