/** Fault-injection mode against the fake carts API: each fault is caught by its check only; the correct fake passes. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createClient } from '../client.ts';
import { createContext } from '../context.ts';
import { createOpenApiValidator } from '../openapi-validator.ts';
import { listOperations, resolveSpec } from '../spec.ts';
import {
  type DependentFault,
  fakeDependentSpec,
  freePort,
  startFakeDependency,
  startFakeDependentApi,
} from '../testing/fake-dependent-api.ts';
import { buildFaultSchedule, runFaultChecks } from './index.ts';

async function runAgainst(fault?: DependentFault, seed = 1) {
  const dependency = await startFakeDependency();
  const listenPort = await freePort();
  const api = await startFakeDependentApi({ dependencyUrl: `http://127.0.0.1:${listenPort}`, fault });
  try {
    const doc = fakeDependentSpec() as unknown as Record<string, unknown>;
    const client = createClient({ baseUrl: api.url, maxRequests: 5000 });
    const ctx = createContext(client, listOperations(resolveSpec(doc)), createOpenApiValidator(doc), seed);
    await runFaultChecks(ctx, [{ name: 'dep', listenPort, upstream: dependency.url }], {
      seed,
      documentedTimeoutMs: 2500, // the fake's own: two attempts of 1 s, plus slack
      recoveryMs: 5000,
      quietMs: 100,
      outageRequests: 8,
    });
    return { results: ctx.results, effects: dependency.effects(), sent: client.sent() };
  } finally {
    await api.close();
    await dependency.close();
  }
}

const failedIds = (results: Awaited<ReturnType<typeof runAgainst>>['results']) =>
  results.filter((r) => r.status === 'failed').map((r) => r.id);

describe('fault-injection checks', { concurrency: 3 }, () => {
  test('the correct fake passes every check, none skipped', async () => {
    const { results } = await runAgainst();
    assert.deepEqual(
      results.filter((r) => r.status !== 'passed').map((r) => `${r.id} ${r.status}: ${r.detail}`),
      [],
    );
    assert.equal(results.length, 8);
  });

  const expectations: [DependentFault, string[]][] = [
    ['hangs', ['faults.bounded-latency']],
    ['raw-500', ['faults.no-raw-500']],
    ['replays-failure', ['faults.failure-not-replayed']],
    ['no-outbound-key', ['faults.outbound-key', 'faults.at-most-once']],
    ['double-effect', ['faults.at-most-once']],
    ['retry-storm', ['faults.amplification']],
    ['breaker-never-closes', ['faults.breaker-recovers']],
  ];
  for (const [fault, expected] of expectations)
    test(`${fault} → ${expected.join(', ')} fail, with evidence`, async () => {
      const { results } = await runAgainst(fault);
      assert.deepEqual(
        failedIds(results),
        expected,
        JSON.stringify(
          results.map((r) => `${r.id} ${r.status}: ${r.detail}`),
          null,
          1,
        ),
      );
      for (const r of results.filter((x) => x.status === 'failed' && x.id !== 'faults.amplification'))
        assert.ok(r.evidence.length > 0, `${r.id} has evidence`);
    });

  test('the same seed gives the same fault schedule; seeds differ', () => {
    assert.deepEqual(buildFaultSchedule(7), buildFaultSchedule(7));
    const schedules = new Set([1, 2, 3, 4, 5].map((s) => JSON.stringify(buildFaultSchedule(s))));
    assert.ok(schedules.size > 1);
    for (const s of [1, 2, 3])
      assert.deepEqual(
        buildFaultSchedule(s)
          .map((p) => p.mode.kind)
          .sort(),
        ['hang', 'latency', 'lost', 'rate-limit', 'reset', 'status'],
      );
  });
});
