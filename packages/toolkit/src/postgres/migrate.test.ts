import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  assertMigrated,
  defineMigrations,
  isMigrated,
  migrate,
  pendingMigrations,
  readMigrations,
} from '@steadfast/toolkit/postgres';
import { createTestDatabase, type TestDatabase } from '@steadfast/toolkit/testing';

let db: TestDatabase;
let dir: string;

before(async () => {
  db = await createTestDatabase({ template: 'template0' });
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'migrations-'));
  fs.writeFileSync(path.join(dir, '0001_first.sql'), 'CREATE TABLE a (id int);');
  fs.writeFileSync(path.join(dir, '0002_second.sql'), 'CREATE TABLE b (id int);');
});
after(async () => {
  await db.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const applied = async (pool = db.pool) =>
  (await pool.query('SELECT id, adopted_from FROM steadfast_schema_migrations ORDER BY id')).rows;

describe('migrations', () => {
  test('two runners at once: each migration is applied exactly once', async () => {
    const migrations = readMigrations(dir, 'app');
    const results = await Promise.all([migrate(db.pool, migrations), migrate(db.pool, migrations)]);
    assert.deepEqual(results.flat().sort(), ['app/0001_first', 'app/0002_second']);
    assert.deepEqual(
      (await applied()).map((r) => r.id),
      ['app/0001_first', 'app/0002_second'],
    );
    assert.equal(await isMigrated(db.pool, migrations), true);
  });

  test('a later run applies only the new file', async () => {
    fs.writeFileSync(path.join(dir, '0003_third.sql'), 'CREATE TABLE c (id int);');
    const migrations = readMigrations(dir, 'app');
    assert.equal(await isMigrated(db.pool, migrations), false);
    assert.deepEqual(await migrate(db.pool, migrations), ['app/0003_third']);
    assert.deepEqual(await migrate(db.pool, migrations), []);
  });

  test('namespaces keep two owners with the same numbers apart', async () => {
    const block = defineMigrations('block', [{ name: '0001_first', sql: 'CREATE TABLE block_a (id int);' }]);
    assert.deepEqual(await migrate(db.pool, [...block, ...readMigrations(dir, 'app')]), ['block/0001_first']);
  });

  test('an applied file that changed stops the run', async () => {
    fs.writeFileSync(path.join(dir, '0001_first.sql'), 'CREATE TABLE a (id bigint);');
    await assert.rejects(
      migrate(db.pool, readMigrations(dir, 'app')),
      /app\/0001_first was changed after it was applied/,
    );
    fs.writeFileSync(path.join(dir, '0001_first.sql'), 'CREATE TABLE a (id int);');
  });

  test('a failing migration rolls back whole and is not recorded', async () => {
    fs.writeFileSync(
      path.join(dir, '0004_broken.sql'),
      'CREATE TABLE d (id int); SELECT * FROM no_such_table;',
    );
    await assert.rejects(migrate(db.pool, readMigrations(dir, 'app')), /app\/0004_broken failed/);
    const { rows } = await db.pool.query(`SELECT to_regclass('d') AS t`);
    assert.equal(rows[0].t, null);
    assert.deepEqual(await pendingMigrations(db.pool, readMigrations(dir, 'app')), ['app/0004_broken']);
    fs.unlinkSync(path.join(dir, '0004_broken.sql'));
  });

  test('badly named files, duplicate numbers and a migration listed twice are refused', async () => {
    fs.writeFileSync(path.join(dir, 'oops.sql'), '');
    assert.throws(() => readMigrations(dir, 'app'), /must look like 0001_some_name\.sql/);
    fs.unlinkSync(path.join(dir, 'oops.sql'));
    assert.throws(
      () =>
        defineMigrations('x', [
          { name: '0001_a', sql: '' },
          { name: '0001_b', sql: '' },
        ]),
      /share number 0001/,
    );
    assert.throws(() => defineMigrations('Bad Name', []), /namespace/);
    const once = defineMigrations('twice', [{ name: '0001_a', sql: 'SELECT 1' }]);
    await assert.rejects(migrate(db.pool, [...once, ...once]), /listed twice/);
  });

  test('a forgotten migration fails with one line naming it and how to apply it', async () => {
    const forgotten = defineMigrations('forgotten', [
      { name: '0001_one', sql: 'SELECT 1' },
      { name: '0002_two', sql: 'SELECT 2' },
    ]);
    await assert.rejects(
      assertMigrated(db.pool, forgotten, 'forgottenMigrations'),
      (error: Error) =>
        error.name === 'MigrationError' &&
        error.message ===
          'the database is missing migration forgotten/0001_one (and 1 more): apply it at start with migrate(pool, [...forgottenMigrations])',
    );
    const empty = await createTestDatabase({ template: 'template0' });
    try {
      await assert.rejects(
        assertMigrated(empty.pool, forgotten, 'forgottenMigrations'),
        /forgotten\/0001_one/,
      );
    } finally {
      await empty.close();
    }
    await migrate(db.pool, forgotten);
    await assertMigrated(db.pool, forgotten, 'forgottenMigrations');
  });

  test('an old table of another app adopts nothing: only the files named in `adopt` count', async () => {
    const other = await createTestDatabase({ template: 'template0' });
    try {
      // an app of its own that also numbered 0001, 0002: its files say nothing about the toolkit's tables
      await other.pool.query(`
        CREATE TABLE steadfast_migrations (id integer PRIMARY KEY, name text NOT NULL, checksum text NOT NULL);
        INSERT INTO steadfast_migrations VALUES (1, '0001_invoices.sql', 'x'), (2, '0002_lines.sql', 'y');`);
      const block = defineMigrations('block', [
        { name: '0001_keys', sql: 'CREATE TABLE block_keys (id int);' },
      ]);
      assert.deepEqual(
        await migrate(other.pool, block, { adopt: { '0002_idempotency_keys.sql': ['block/0001_keys'] } }),
        ['block/0001_keys'],
      );
      assert.deepEqual(await applied(other.pool), [{ id: 'block/0001_keys', adopted_from: null }]);
      const { rows } = await other.pool.query(`SELECT to_regclass('block_keys') AS t`);
      assert.equal(rows[0].t, 'block_keys', 'run, not adopted');
    } finally {
      await other.close();
    }
  });

  test('a database migrated before namespacing adopts what it already has and runs only the rest', async () => {
    const old = await createTestDatabase({ template: 'template0' });
    try {
      await old.pool.query(`
        CREATE TABLE steadfast_migrations (id integer PRIMARY KEY, name text NOT NULL, checksum text NOT NULL);
        INSERT INTO steadfast_migrations VALUES (1, '0001_things.sql', 'x');
        CREATE TABLE things (id int);`);
      const migrations = defineMigrations('things', [
        { name: '0001_things', sql: 'CREATE TABLE things (id int);' },
        { name: '0002_more', sql: 'CREATE TABLE more_things (id int);' },
      ]);
      const adopt = { '0001_things.sql': ['things/0001_things'], '0002_more.sql': ['things/0002_more'] };
      assert.deepEqual(await migrate(old.pool, migrations, { adopt }), [
        'things/0001_things',
        'things/0002_more',
      ]);
      assert.deepEqual(await applied(old.pool), [
        { id: 'things/0001_things', adopted_from: '0001_things.sql' },
        { id: 'things/0002_more', adopted_from: null },
      ]);
      const { rows } = await old.pool.query(`SELECT to_regclass('more_things') AS t`);
      assert.equal(rows[0].t, 'more_things');
    } finally {
      await old.close();
    }
  });
});
