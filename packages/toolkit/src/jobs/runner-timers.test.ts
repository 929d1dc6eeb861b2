/**
 * The runner's two intervals, on node:test's mocked setInterval (graphile-worker
 * and pg use none): the heartbeat every 2 s by default, and a periodic task
 * re-scheduled every max(1 s, everyMs), a failed scheduling reported with its
 * task. The statements are counted as they are sent: a beat or a tick sends
 * its first one at once.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { eventually } from '../testing/index.ts';
import { createRunnerHarness, recordingErrors } from './runner-harness.ts';

describe('runner intervals', () => {
  const harness = createRunnerHarness();

  /** every statement sent on the file's pool from now on (text and values); `refuse` ones fail */
  function sent(t: test.TestContext, refuse: (text: string, values: unknown[]) => boolean = () => false) {
    const pool = harness.db.pool;
    const query = pool.query.bind(pool) as (...args: unknown[]) => unknown;
    const seen: { text: string; values: unknown[] }[] = [];
    t.mock.method(pool, 'query', (...args: unknown[]) => {
      const text = typeof args[0] === 'string' ? args[0] : String((args[0] as { text?: string }).text);
      const values = Array.isArray(args[1]) ? args[1] : [];
      seen.push({ text, values });
      if (refuse(text, values)) return Promise.reject(new Error('add_job refused'));
      return query(...args);
    });
    return seen;
  }

  test('workers beat every 2 s by default', async (t) => {
    t.mock.timers.enable({ apis: ['setInterval'] });
    const seen = sent(t);
    const beats = () => seen.filter((q) => q.text.startsWith('INSERT INTO worker_heartbeats')).length;
    const runner = harness.runnerWith([{ name: 'noop', async run() {} }], { concurrency: 1 });
    await runner.start();
    t.after(() => runner.stop());
    assert.equal(beats(), 2, 'the creation beats of the pool and its worker');
    t.mock.timers.tick(1999);
    assert.equal(beats(), 2);
    t.mock.timers.tick(1);
    assert.equal(beats(), 3);
    t.mock.timers.tick(2000);
    assert.equal(beats(), 4);
  });

  test('a periodic task is scheduled again every max(1 s, everyMs); a failed scheduling is reported', async (t) => {
    t.mock.timers.enable({ apis: ['setInterval'] });
    let refusing = false;
    const seen = sent(t, (text) => refusing && text.includes('graphile_worker.add_job'));
    // no runner has the task: its runs stay in the queue, and only start() and the interval schedule it
    const schedules = () =>
      seen.filter((q) => q.text.includes('graphile_worker.add_job') && q.values[0] === 'elsewhere').length;
    const errors = recordingErrors();
    const runner = harness.runnerWith([{ name: 'noop', async run() {} }], {
      errors,
      heartbeatMs: 600_000,
      periodic: [{ task: 'elsewhere', everyMs: 200 }],
    });
    await runner.start();
    t.after(() => runner.stop());
    assert.equal(schedules(), 1, 'start() schedules it once');
    t.mock.timers.tick(999);
    assert.equal(schedules(), 1, 'not every 200 ms: every second at most');
    t.mock.timers.tick(1);
    assert.equal(schedules(), 2);
    assert.deepEqual(errors.seen, []);

    refusing = true;
    t.mock.timers.tick(1000);
    assert.equal(schedules(), 3);
    await eventually(() => errors.seen.length === 1);
    assert.deepEqual(errors.seen, [
      { component: 'job-scheduler', message: 'add_job refused', context: { task: 'elsewhere' } },
    ]);
  });
});
