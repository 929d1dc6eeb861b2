/**
 * A periodic task, once run, schedules its own next run at the next slot
 * boundary, replacing the waiting one (start() only preserves it); the other
 * periodic tasks keep theirs.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { eventually } from '../testing/index.ts';
import { enqueueJob } from './enqueue.ts';
import { createRunnerHarness } from './runner-harness.ts';

const HOUR = 3_600_000;

describe('periodic tasks', () => {
  const harness = createRunnerHarness();

  const scheduled = async (key: string) =>
    (
      await harness.db.pool.query<{ at: Date }>(
        'SELECT run_at AS at FROM graphile_worker._private_jobs WHERE key = $1',
        [key],
      )
    ).rows.map((r) => r.at.getTime());

  test('a run schedules the next one at the next slot boundary, replacing the waiting one', async (t) => {
    let ticks = 0;
    const runner = harness.runnerWith(
      [
        { name: 'other', async run() {} },
        {
          name: 'tick',
          async run() {
            ticks++;
          },
        },
      ],
      {
        heartbeatMs: 600_000,
        periodic: [
          { task: 'other', everyMs: HOUR },
          { task: 'tick', everyMs: HOUR },
        ],
      },
    );
    await runner.start();
    t.after(() => runner.stop());
    assert.equal((await scheduled('periodic:tick')).length, 1);
    assert.equal((await scheduled('periodic:other')).length, 1);
    // both waiting runs pushed a day away; then 'tick' runs once now
    await harness.db.pool.query(
      `UPDATE graphile_worker._private_jobs SET run_at = now() + interval '1 day' WHERE key LIKE 'periodic:%'`,
    );
    const before = Date.now();
    await enqueueJob(harness.db.pool, 'tick', {});
    await eventually(() => ticks === 1);
    const [next] = await eventually(async () => {
      const at = await scheduled('periodic:tick');
      return at.length === 1 && at[0] < Date.now() + 2 * HOUR && at;
    });
    assert.equal(next % HOUR, 0, 'on a slot boundary');
    assert.ok(next > before && next <= Date.now() + HOUR, 'the next slot');
    const [other] = await scheduled('periodic:other');
    assert.ok(other > Date.now() + 20 * HOUR, 'the other task keeps its waiting run');
  });
});
