/**
 * Pools on real Postgres: the timeouts a pool sets, errors of dying
 * connections reported (and not once the pool is ending), a pooled pool's
 * direct sibling behind a real PgBouncer, the direct-connection check that
 * tells the two apart, and the tenant scope parameter.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  adminUrl,
  createTestDatabase,
  eventually,
  findPgBouncer,
  type TestDatabase,
} from '../testing/index.ts';
import { type PgBouncer, startPgBouncer } from '../testing/pgbouncer.ts';
import { assertDirectConnection, DirectConnectionError, directPool } from './direct.ts';
import { createPool, endPool, type Pool } from './pool.ts';
import { ALL_TENANTS, tenantParam } from './tenant-scope.ts';

let db: TestDatabase;
before(async () => {
  db = await createTestDatabase({ template: 'template0' });
});
after(() => db?.close());

const setting = async (pool: Pool, name: string) =>
  (await pool.query(`SELECT current_setting($1) AS v`, [name])).rows[0].v as string;

describe('createPool', () => {
  test('a statement timeout of 5 s by default, the given one, or none; the application name', async (t) => {
    const byDefault = createPool({ connectionString: db.url, max: 1 });
    const short = createPool({
      connectionString: db.url,
      max: 1,
      statementTimeoutMs: 1500,
      applicationName: 'x-app',
    });
    const none = createPool({ connectionString: db.url, max: 1, statementTimeoutMs: 0 });
    t.after(() => Promise.all([byDefault.end(), short.end(), none.end()]));
    assert.equal(await setting(byDefault, 'statement_timeout'), '5s');
    assert.equal(await setting(byDefault, 'application_name'), 'steadfast');
    assert.equal(await setting(short, 'statement_timeout'), '1500ms');
    assert.equal(await setting(short, 'application_name'), 'x-app');
    assert.equal(await setting(none, 'statement_timeout'), '0');
    await assert.rejects(() => short.query('SELECT pg_sleep(3)'), /statement timeout/);
  });

  test('a connection the server kills is reported, not thrown; once the pool is ending it is expected', async (t) => {
    const reported: string[] = [];
    const pool = createPool({
      connectionString: db.url,
      max: 1,
      applicationName: 'doomed',
      onError: (error) => reported.push(error.message),
    });
    t.after(() => pool.end().catch(() => {}));
    await pool.query('SELECT 1'); // one idle client
    await db.pool.query(
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'doomed'`,
    );
    await eventually(() => reported.length > 0, { message: 'the killed connection was not reported' });
    assert.match(reported[0], /terminat/);
    // the pool still works: a new connection
    assert.equal((await pool.query('SELECT 2 AS n')).rows[0].n, 2);
    // a checked-out connection killed while the pool ends: expected, not reported
    const before = reported.length;
    const client = await pool.connect();
    const died = new Promise<void>((resolve) => client.once('error', () => resolve()));
    const ending = pool.end();
    const killed = await db.pool.query(
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'doomed'`,
    );
    assert.equal(killed.rowCount, 1);
    await died;
    client.release(true);
    await ending;
    assert.equal(reported.length, before);
  });

  test('without onError a dying connection becomes a process warning', async (t) => {
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(`${w.name}: ${w.message}`);
    process.on('warning', onWarning);
    t.after(() => process.off('warning', onWarning));
    const pool = createPool({ connectionString: db.url, max: 1, applicationName: 'warned' });
    t.after(() => pool.end().catch(() => {}));
    await pool.query('SELECT 1');
    await db.pool.query(
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'warned'`,
    );
    await eventually(() => warnings.some((w) => w.startsWith('SteadfastPoolWarning: postgres pool: ')));
  });

  test('endPool resolves true when the pool ends in time', async () => {
    const pool = createPool({ connectionString: db.url, max: 2 });
    await pool.query('SELECT 1');
    assert.equal(await endPool(pool, 10_000), true);
    assert.equal(pool.ended, true);
  });
});

describe('direct connections', () => {
  test('a plain pool is its own direct pool, and passes the direct-connection check', async () => {
    assert.equal(directPool(db.pool), db.pool);
    await assertDirectConnection(db.pool, { timeoutMs: 10_000 });
  });

  const bouncerBinary = findPgBouncer();
  describe('behind PgBouncer in transaction mode', {
    skip: !bouncerBinary && 'pgbouncer is not installed',
  }, () => {
    let bouncer: PgBouncer;
    before(async () => {
      bouncer = await startPgBouncer({ serverUrl: adminUrl() });
    });
    after(() => bouncer?.stop());

    test('the pooled pool has a direct sibling with its own name and a statement timeout; end() ends both', async (t) => {
      const pool = createPool({
        connectionString: bouncer.url(db.name),
        direct: { connectionString: db.url },
      });
      t.after(() => (pool.ended ? undefined : pool.end().catch(() => {})));
      const direct = directPool(pool);
      assert.notEqual(direct, pool);
      assert.equal(await setting(direct, 'application_name'), 'steadfast-direct');
      assert.equal(await setting(direct, 'statement_timeout'), '5s');
      // named statements are sent unnamed through the pooler: the same name twice still works
      for (const n of [1, 2])
        assert.equal(
          (await pool.query({ name: 'same', text: 'SELECT $1::int AS n', values: [n] })).rows[0].n,
          n,
        );
      await assertDirectConnection(pool, { timeoutMs: 10_000 });
      await pool.end();
      assert.equal(direct.ended, true);
    });

    test('a pool that only reaches the pooler fails the direct-connection check, naming the cause', async () => {
      const pooledOnly = createPool({
        connectionString: bouncer.url(db.name),
        preparedStatements: false,
        statementTimeoutMs: 0, // a pooler refuses the startup parameter
      });
      try {
        await assert.rejects(
          () => assertDirectConnection(pooledOnly, { timeoutMs: 500 }),
          (error: Error) =>
            error instanceof DirectConnectionError &&
            error.name === 'DirectConnectionError' &&
            /within 500 ms: this is not a direct connection/.test(error.message),
        );
      } finally {
        await pooledOnly.end();
      }
    });
  });
});

describe('tenantParam', () => {
  test('a tenant id as is, ALL_TENANTS as NULL, anything else refused', () => {
    assert.equal(tenantParam('ten_a'), 'ten_a');
    assert.equal(tenantParam(ALL_TENANTS), null);
    for (const bad of ['', undefined, null, 7, Symbol('all tenants')])
      assert.throws(() => tenantParam(bad as never), {
        message: 'a tenant scope is a tenant id or ALL_TENANTS',
      });
  });
});
