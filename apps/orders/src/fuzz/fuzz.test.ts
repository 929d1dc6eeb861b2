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
import { problemFindings, stateDigest, writeFindings } from './invariants.ts';

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

  test('the invariants catch a non-problem answer, an unregistered type and a half-written record', async () => {
    const op =
      session.operations.find((o) => o.name === 'POST /v1/orders') ?? assert.fail('no POST /v1/orders');
    const { registered, target } = session.ctx;
    const answer = (contentType: string, body: object) => ({
      status: 400,
      contentType,
      body: JSON.stringify(body),
      replayed: false,
    });
    const bare = answer('application/json', { error: 'Bad Request', code: 'FST_ERR_BAD_URL' });
    assert.equal(problemFindings(op, bare, registered)[0]?.kind, 'not-problem');
    const unknown = answer('application/problem+json', { type: '/problems/no-such-type', status: 400 });
    assert.equal(problemFindings(op, unknown, registered)[0]?.kind, 'unregistered-type');
    const fine = answer('application/problem+json', { type: '/problems/validation-failed', status: 400 });
    assert.deepEqual(problemFindings(op, fine, registered), []);

    const before = await stateDigest(target);
    const db = target.app.db.pool;
    await db.query(
      `INSERT INTO idempotency_keys (tenant_id, method, route, key, fingerprint, state, owner, expires_at)
       VALUES ($1, 'POST', '/v1/orders', 'half', '\\x00', 'in_flight', 'x', now() + interval '1 hour')`,
      [target.app.tenant.tenantId],
    );
    await db.query('UPDATE orders SET version = version + 1 WHERE id = (SELECT min(id) FROM orders)');
    const request = {
      inject: { method: 'POST', url: '/v1/orders', headers: {} },
      idempotencyKey: 'half',
      freshKey: true,
    };
    const found = await writeFindings(target, op, request, fine, before);
    assert.deepEqual(
      found.map((f) => f.kind),
      ['half-written', 'half-written'],
      JSON.stringify(found),
    );
    assert.match(found[0]?.detail ?? '', /changed orders/);
    assert.match(found[1]?.detail ?? '', /claim left in flight/);
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
