/** The version usage recorder on real Postgres: counts in memory, one statement per flush, failures kept and reported. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { BackgroundErrors } from '../observability/index.ts';
import { migrate, type Queryable } from '../postgres/index.ts';
import { createFakeClock, createTestDatabase, type TestDatabase } from '../testing/index.ts';
import { versioningMigrations } from './migrations.ts';
import { createVersionUsage, readVersionUsage } from './usage-recorder.ts';
import { defineApiVersions } from './versions.ts';

let db: TestDatabase;
before(async () => {
  db = await createTestDatabase({ template: 'template0' });
  await migrate(db.pool, [...versioningMigrations]);
});
after(() => db?.close());

function reported(): BackgroundErrors & { seen: string[] } {
  const seen: string[] = [];
  return { seen, report: (component, error) => seen.push(`${component}: ${(error as Error).message}`) };
}

describe('createVersionUsage', () => {
  test('counts (partition, version) and writes them with one statement per flush, adding to what is there', async () => {
    const statements: string[] = [];
    const counting: Queryable = {
      query: ((text: string, values?: unknown[]) => {
        statements.push(text);
        return db.pool.query(text, values);
      }) as Queryable['query'],
    };
    const clock = createFakeClock(Date.UTC(2027, 0, 1));
    const usage = createVersionUsage({ db: counting, errors: reported(), clock });
    for (let i = 0; i < 5; i++) usage.record('t1', '2026-06-01');
    clock.advance(60_000);
    usage.record('t1', '2026-06-01');
    usage.record('t2', '2026-12-01');
    assert.equal(await usage.flush(), true);
    assert.equal(statements.length, 1);
    assert.equal(await usage.flush(), true, 'nothing to write');
    assert.equal(statements.length, 1);
    clock.advance(60_000);
    usage.record('t1', '2026-06-01');
    await usage.flush();
    assert.equal(statements.length, 2);
    const rows = await readVersionUsage(db.pool, {});
    assert.deepEqual(rows, [
      {
        partition: 't1',
        version: '2026-06-01',
        requests: 7,
        firstSeenAt: '2027-01-01T00:00:00.000Z',
        lastSeenAt: '2027-01-01T00:02:00.000Z',
        deprecated: false,
      },
      {
        partition: 't2',
        version: '2026-12-01',
        requests: 1,
        firstSeenAt: '2027-01-01T00:01:00.000Z',
        lastSeenAt: '2027-01-01T00:01:00.000Z',
        deprecated: false,
      },
    ]);
    const versions = defineApiVersions({
      versions: ['2026-06-01', '2026-12-01'],
      deprecations: { '2026-06-01': { deprecatedAt: '2026-12-01T00:00:00Z', link: '/upgrading' } },
    });
    assert.deepEqual(
      (await readVersionUsage(db.pool, { versions, deprecatedOnly: true })).map((r) => [
        r.partition,
        r.deprecated,
      ]),
      [['t1', true]],
    );
    assert.deepEqual(
      (await readVersionUsage(db.pool, { partition: 't2' })).map((r) => r.version),
      ['2026-12-01'],
    );
    await assert.rejects(
      readVersionUsage(db.pool, { deprecatedOnly: true }),
      /deprecatedOnly needs versions/,
    );
  });

  test('a failed flush keeps the counts, reports, and the next flush writes them all', async () => {
    let failing = true;
    const flaky: Queryable = {
      query: ((text: string, values?: unknown[]) =>
        failing
          ? Promise.reject(new Error('connection lost'))
          : db.pool.query(text, values)) as Queryable['query'],
    };
    const errors = reported();
    const usage = createVersionUsage({ db: flaky, errors, clock: createFakeClock(Date.UTC(2027, 0, 1)) });
    usage.record('flaky', '2026-06-01');
    usage.record('flaky', '2026-06-01');
    assert.equal(await usage.flush(), false);
    assert.deepEqual(errors.seen, ['api-version-usage: connection lost']);
    usage.record('flaky', '2026-06-01');
    failing = false;
    assert.equal(await usage.flush(), true);
    assert.deepEqual(
      (await readVersionUsage(db.pool, { partition: 'flaky' })).map((r) => r.requests),
      [3],
    );
  });

  test('beyond maxEntries new pairs are dropped, and the drop is reported', async () => {
    const errors = reported();
    const usage = createVersionUsage({ db: db.pool, errors, maxEntries: 1 });
    usage.record('m1', '2026-06-01');
    usage.record('m2', '2026-06-01');
    usage.record('m1', '2026-06-01');
    await usage.flush();
    assert.deepEqual(errors.seen, ['api-version-usage: dropped 1 counts: more than 1 entries waiting']);
    assert.deepEqual(
      (await readVersionUsage(db.pool, {}))
        .filter((r) => r.partition.startsWith('m'))
        .map((r) => [r.partition, r.requests]),
      [['m1', 2]],
    );
  });

  test('start() on a database without the migration fails, naming it', async () => {
    const empty = await createTestDatabase({ template: 'template0' });
    try {
      const usage = createVersionUsage({ db: empty.pool, errors: reported() });
      await assert.rejects(
        usage.start(),
        /missing migration versioning\/0001_api_version_usage.*versioningMigrations/,
      );
    } finally {
      await empty.close();
    }
  });
});
