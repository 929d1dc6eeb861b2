/**
 * What the runner tests share (runner, runner-workers, runner-periodic,
 * runner-outcomes, runner-timers): a database per file, a runner on it with
 * silent logs unless the test gives its own, readers of the heartbeats, and a
 * BackgroundErrors that records what was reported. Test support, not part of
 * the package (excluded from the build).
 */
import { after, before } from 'node:test';
import { Registry } from 'prom-client';
import { createIdGenerator } from '../ids/index.ts';
import { createBackgroundErrors, createLogger } from '../observability/index.ts';
import { createTestDatabase, type TestDatabase } from '../testing/index.ts';
import { createJobMetrics } from './metrics.ts';
import { createJobRunner, type JobRunnerOptions } from './runner.ts';
import type { TaskDefinition } from './task.ts';

export { type Reported, recordingErrors } from '../testing/index.ts';

/** Call once at the top of a test file (or a describe): registers the file's database hooks. */
export function createRunnerHarness() {
  let db: TestDatabase;
  before(async () => {
    db = await createTestDatabase();
  });
  after(() => db?.close());

  /** A runner on the file's database: the runner's own defaults, silent logs, a fresh registry. */
  function runnerWith(tasks: TaskDefinition<never>[], extra: Partial<JobRunnerOptions> = {}) {
    const ids = createIdGenerator();
    const log = extra.log ?? createLogger({ level: 'silent' });
    return createJobRunner({
      pool: db.pool,
      tasks,
      log,
      errors: createBackgroundErrors({ log }),
      metrics: createJobMetrics(new Registry(), db.pool),
      newId: (p) => ids.next(p),
      ...extra,
    });
  }

  /** the worker ids that have a heartbeat row, sorted */
  const heartbeats = async () =>
    (
      await db.pool.query<{ worker_id: string }>('SELECT worker_id FROM worker_heartbeats ORDER BY worker_id')
    ).rows.map((r) => r.worker_id);

  return {
    /** the file's database (from before() on) */
    get db(): TestDatabase {
      return db;
    },
    runnerWith,
    heartbeats,
  };
}
