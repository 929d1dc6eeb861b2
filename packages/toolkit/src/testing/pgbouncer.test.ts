/**
 * The PgBouncer harness: the config it writes, and a real PgBouncer (Debian's
 * /usr/sbin/pgbouncer) in front of this run's server — connections through it
 * work in transaction pooling mode with the pool size and statement timeout
 * asked for, and stop() ends it and removes its directory.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { after, before, describe, type TestContext, test } from 'node:test';
import { createPool } from '../postgres/index.ts';
import { adminUrl, createTestDatabase, type TestDatabase } from './database.ts';
import { findPgBouncer, type PgBouncer, pgBouncerConfig, startPgBouncer } from './pgbouncer.ts';

const installed = findPgBouncer() !== undefined;
const asRoot = process.getuid?.() === 0;

test('findPgBouncer finds Debian’s binary', { skip: !fs.existsSync('/usr/sbin/pgbouncer') }, () => {
  assert.equal(findPgBouncer(), '/usr/sbin/pgbouncer');
});

test('the config forwards every database to the server, pools per transaction, and adds the settings', () => {
  const config = pgBouncerConfig({
    serverHost: 'db.internal',
    serverPort: 6543,
    serverUser: 'app',
    serverPassword: 'pw',
    listenPort: 7432,
    authFile: '/etc/pgbouncer/userlist.txt',
    poolSize: 3,
    statementTimeoutMs: 2500,
    runAs: 'postgres',
    settings: { server_login_retry: '1', query_wait_timeout: '9' },
  });
  assert.equal(
    config,
    `[databases]
* = host=db.internal port=6543 user=app password=pw connect_query='SET statement_timeout = 2500'

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = 7432
unix_socket_dir =
pool_mode = transaction
auth_type = plain
auth_file = /etc/pgbouncer/userlist.txt
default_pool_size = 3
max_client_conn = 1000
ignore_startup_parameters = extra_float_digits
server_reset_query =
log_connections = 0
log_disconnections = 0
user = postgres
server_login_retry = 1
query_wait_timeout = 9
`,
  );
});

test('without runAs and settings the config has no user line and nothing more', () => {
  const config = pgBouncerConfig({
    serverHost: '127.0.0.1',
    serverPort: 5432,
    serverUser: 'u',
    serverPassword: 'p',
    listenPort: 6432,
    authFile: 'users.txt',
    poolSize: 20,
    statementTimeoutMs: 0,
  });
  assert.equal(config.split('\n').slice(-3).join('\n'), 'log_connections = 0\nlog_disconnections = 0\n');
  assert.doesNotMatch(config, /^user =/m);
});

/**
 * connections through the bouncer: no statement_timeout startup parameter (PgBouncer
 * refuses it); the bouncer stops before the pool ends, so idle clients lose their connection
 */
function pooled(t: TestContext, url: string) {
  const pool = createPool({
    connectionString: url,
    max: 1,
    preparedStatements: false,
    statementTimeoutMs: 0,
    onError: () => {},
  });
  t.after(() => pool.end());
  return pool;
}

/** resolves with the error code of a connection to the port */
function connectError(port: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host: '127.0.0.1' });
    socket.once('connect', () => {
      socket.destroy();
      resolve(undefined);
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code));
  });
}

function configLines(bouncer: PgBouncer) {
  return fs.readFileSync(bouncer.configFile, 'utf8').split('\n');
}

describe('a real PgBouncer', { skip: !installed && 'pgbouncer is not installed' }, () => {
  let db: TestDatabase;
  before(async () => {
    db = await createTestDatabase({ template: 'template0' });
  });
  after(() => db.close());

  test('by default: 20 server connections, a 5 s statement timeout, files in a directory of its own', async (t) => {
    const bouncer = await startPgBouncer({ serverUrl: adminUrl() });
    t.after(() => bouncer.stop());
    const dir = path.dirname(bouncer.configFile);
    assert.equal(path.basename(bouncer.configFile), 'pgbouncer.ini');
    assert.match(path.basename(dir), /^steadfast-pgbouncer-.+/);
    assert.equal(fs.statSync(dir).mode & 0o777, 0o755);
    const lines = configLines(bouncer);
    for (const line of [
      'pool_mode = transaction',
      'default_pool_size = 20',
      `listen_port = ${bouncer.port}`,
      `auth_file = ${path.join(dir, 'userlist.txt')}`,
    ])
      assert.ok(lines.includes(line), line);
    assert.match(lines[1], / connect_query='SET statement_timeout = 5000'$/);
    assert.equal(lines.includes('user = postgres'), asRoot);
    const server = new URL(adminUrl());
    assert.equal(
      fs.readFileSync(path.join(dir, 'userlist.txt'), 'utf8'),
      `"${decodeURIComponent(server.username)}" "${decodeURIComponent(server.password)}"\n`,
    );
    assert.equal(
      bouncer.url('some_db'),
      `${server.protocol}//${server.username}:${server.password}@127.0.0.1:${bouncer.port}/some_db`,
    );
    const { rows } = await pooled(t, bouncer.url(db.name)).query('SHOW statement_timeout');
    assert.deepEqual(rows, [{ statement_timeout: '5s' }]);
  });

  test('transaction pooling: two clients share the one server connection of a pool of size 1', async (t) => {
    const bouncer = await startPgBouncer({
      serverUrl: adminUrl(),
      poolSize: 1,
      statementTimeoutMs: 1234,
      settings: { server_login_retry: '1' },
    });
    t.after(() => bouncer.stop());
    const lines = configLines(bouncer);
    assert.ok(lines.includes('default_pool_size = 1'));
    assert.ok(lines.includes('server_login_retry = 1'));
    const a = await pooled(t, bouncer.url(db.name)).connect();
    const b = await pooled(t, bouncer.url(db.name)).connect();
    try {
      const pid = async (client: typeof a) =>
        (await client.query('SELECT pg_backend_pid() AS pid')).rows[0].pid as number;
      // both clients stay connected: in session mode the second would wait for the first to leave
      assert.equal(await pid(a), await pid(b));
      assert.deepEqual((await b.query('SHOW statement_timeout')).rows, [{ statement_timeout: '1234ms' }]);
    } finally {
      a.release();
      b.release();
    }
  });

  test('a server URL without a port means 5432; user and password are decoded; the pooled URL is on 127.0.0.1; files are 0644', async (t) => {
    const umask = process.umask(0);
    let bouncer: PgBouncer;
    try {
      bouncer = await startPgBouncer({ serverUrl: 'postgres://alice:s%40cret@localhost/ignored' });
    } finally {
      process.umask(umask);
    }
    t.after(() => bouncer.stop());
    const dir = path.dirname(bouncer.configFile);
    assert.equal(
      configLines(bouncer)[1],
      "* = host=localhost port=5432 user=alice password=s@cret connect_query='SET statement_timeout = 5000'",
    );
    assert.equal(fs.readFileSync(path.join(dir, 'userlist.txt'), 'utf8'), '"alice" "s@cret"\n');
    assert.equal(fs.statSync(path.join(dir, 'userlist.txt')).mode & 0o777, 0o644);
    assert.equal(fs.statSync(bouncer.configFile).mode & 0o777, 0o644);
    assert.equal(bouncer.url('app'), `postgres://alice:s%40cret@127.0.0.1:${bouncer.port}/app`);
  });

  test('stop() ends it and removes its directory; a second stop() does nothing', async () => {
    const bouncer = await startPgBouncer({ serverUrl: adminUrl() });
    assert.equal(await connectError(bouncer.port), undefined);
    await bouncer.stop();
    assert.equal(fs.existsSync(path.dirname(bouncer.configFile)), false);
    assert.equal(await connectError(bouncer.port), 'ECONNREFUSED');
    await bouncer.stop();
  });
});
