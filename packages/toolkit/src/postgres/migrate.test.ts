import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createTestDatabase, type TestDatabase } from '../testing/index.ts';
import { isMigrated, migrate, readMigrations } from './migrate.ts';

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

describe('migrations', () => {
  test('two runners at once: each migration is applied exactly once', async () => {
    const migrations = readMigrations(dir);
    const results = await Promise.all([migrate(db.pool, migrations), migrate(db.pool, migrations)]);
    assert.deepEqual(results.flat().sort(), ['0001_first.sql', '0002_second.sql']);
    const { rows } = await db.pool.query('SELECT name FROM steadfast_migrations ORDER BY id');
    assert.deepEqual(
      rows.map((r) => r.name),
      ['0001_first.sql', '0002_second.sql'],
    );
    assert.equal(await isMigrated(db.pool, migrations), true);
  });

  test('a later run applies only the new file', async () => {
    fs.writeFileSync(path.join(dir, '0003_third.sql'), 'CREATE TABLE c (id int);');
    const migrations = readMigrations(dir);
    assert.equal(await isMigrated(db.pool, migrations), false);
    assert.deepEqual(await migrate(db.pool, migrations), ['0003_third.sql']);
    assert.deepEqual(await migrate(db.pool, migrations), []);
  });

  test('an applied file that changed stops the run', async () => {
    fs.writeFileSync(path.join(dir, '0001_first.sql'), 'CREATE TABLE a (id bigint);');
    await assert.rejects(
      migrate(db.pool, readMigrations(dir)),
      /0001_first\.sql was changed after it was applied/,
    );
    fs.writeFileSync(path.join(dir, '0001_first.sql'), 'CREATE TABLE a (id int);');
  });

  test('a failing migration rolls back whole and is not recorded', async () => {
    fs.writeFileSync(
      path.join(dir, '0004_broken.sql'),
      'CREATE TABLE d (id int); SELECT * FROM no_such_table;',
    );
    await assert.rejects(migrate(db.pool, readMigrations(dir)), /0004_broken\.sql failed/);
    const { rows } = await db.pool.query(`SELECT to_regclass('d') AS t`);
    assert.equal(rows[0].t, null);
    fs.unlinkSync(path.join(dir, '0004_broken.sql'));
  });

  test('badly named files are refused', () => {
    fs.writeFileSync(path.join(dir, 'oops.sql'), '');
    assert.throws(() => readMigrations(dir), /must look like 0001_some_name\.sql/);
    fs.unlinkSync(path.join(dir, 'oops.sql'));
  });

  test('the project migrations run on an empty database and match the template schema', async () => {
    const empty = await createTestDatabase({ template: 'template0' });
    try {
      const applied = await migrate(empty.pool, readMigrations(path.resolve('apps/orders/migrations')));
      assert.ok(applied.length >= 1);
      const schema = `SELECT table_name, column_name, data_type, is_nullable FROM information_schema.columns
        WHERE table_schema = 'public' ORDER BY table_name, column_name`;
      const template = await createTestDatabase();
      try {
        assert.deepEqual((await empty.pool.query(schema)).rows, (await template.pool.query(schema)).rows);
      } finally {
        await template.close();
      }
    } finally {
      await empty.close();
    }
  });
});
