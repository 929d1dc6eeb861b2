/**
 * The `steadfast` CLI's conventions, as a user meets them: `--help`/`-h` on every
 * command and sub-command (and `steadfast help <command>`) prints that command's
 * usage and does nothing else — no port bound, no migration applied, no embedded
 * cluster started; `--version`; an unknown option exits 2 with one line and starts
 * nothing. Every invocation is spawned at once in `before`; the tests read the results.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import { createTestDatabase, freePort } from '@steadfast/toolkit/testing';
import { BIN_PATH, makeHome, runCli } from './runtime/spawn-cli.ts';

type Run = Awaited<ReturnType<typeof runCli>>;

const pkg = JSON.parse(fs.readFileSync(new URL('../package.json', import.meta.url), 'utf8'));

/** every command path, and what its usage must name */
const COMMANDS = [
  'start',
  'web',
  'worker',
  'sandbox',
  'migrate',
  'tenant',
  'tenant create',
  'tenant limits',
  'key',
  'key list',
  'key create',
  'key revoke',
  'config',
  'config check',
  'check',
];

/** commands that would run something, with arguments that are otherwise valid */
const WITH_TYPO: string[][] = [
  ['start', '--hepl'],
  ['web', '--hepl'],
  ['worker', '--hepl'],
  ['sandbox', '--hepl'],
  ['migrate', '--hepl'],
  ['migrate', 'now'],
  ['tenant', 'create', 'Acme', '--hepl'],
  ['tenant', 'create'],
  ['tenant', 'delete', 'Acme'],
  ['tenant', 'create', 'Acme', '--ops'],
  ['tenant', 'limits'],
  ['tenant', 'limits', 'ten_x', 'writes=0'],
  ['tenant', 'limits', 'ten_x', 'uploads=10'],
  ['tenant', 'limits', 'ten_x', 'writes=-5'],
  ['tenant', 'limits', 'ten_x', '--clear', 'nope'],
  ['key'],
  ['key', 'rotate'],
  ['key', 'list'],
  ['key', 'list', '--operator', 'On-call'],
  ['key', 'create', '--tenant', 'ten_x', '--operator', 'On-call'],
  ['key', 'create', '--tenant', 'ten_x', '--expires-in-s', '0'],
  ['key', 'revoke', 'nope'],
  ['key', 'revoke'],
  ['config', 'check', '--hepl'],
  ['config', 'check', '--role', 'nope'],
  ['config', 'chekc'],
  ['check', 'http://127.0.0.1:1', '--hepl'],
  ['strat'],
  ['--hepl'],
];

/** a port held open by this test: a CLI that tried to listen on it would fail */
async function holdPort(): Promise<{ port: number; server: net.Server }> {
  const server = net.createServer((socket) => socket.destroy());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as net.AddressInfo).port, server };
}

describe('steadfast --help, --version and usage errors', () => {
  const held: net.Server[] = [];
  const homes: string[] = [];
  const results = new Map<string, Run>();
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let freeApiPort: number;

  before(async () => {
    db = await createTestDatabase({ template: 'template0' });
    const [api, sandbox, metrics, pg] = await Promise.all([holdPort(), holdPort(), holdPort(), holdPort()]);
    held.push(api.server, sandbox.server, metrics.server, pg.server);
    freeApiPort = await freePort();
    const ports = {
      PORT: String(api.port),
      SANDBOX_PORT: String(sandbox.port),
      WORKER_METRICS_PORT: String(metrics.port),
      STEADFAST_PG_PORT: String(pg.port),
    };
    const withDb = { ...ports, DATABASE_URL: db.url, STEADFAST_HOME: makeHome() };
    const embedded = { ...ports, STEADFAST_HOME: makeHome() };
    homes.push(withDb.STEADFAST_HOME, embedded.STEADFAST_HOME);
    const jobs: [string, () => Promise<Run>][] = [];
    for (const command of COMMANDS) {
      const words = command.split(' ');
      jobs.push([`${command} --help`, () => runCli([...words, '--help'], withDb)]);
      jobs.push([`${command} -h`, () => runCli([...words, '-h'], embedded)]);
      jobs.push([`help ${command}`, () => runCli(['help', ...words], embedded)]);
    }
    for (const args of WITH_TYPO) jobs.push([args.join(' '), () => runCli(args, withDb)]);
    for (const args of [['--help'], ['-h'], ['help'], ['--version'], ['-v'], ['help', 'nope'], []])
      jobs.push([args.join(' ') || '(none)', () => runCli(args, embedded)]);
    // a bad configuration does not matter to --help: nothing reads it
    const badConfig = { PORT: 'abc', DATABASE_URL: 'mysql://nope', STEADFAST_HOME: embedded.STEADFAST_HOME };
    jobs.push(['start --help (bad configuration)', () => runCli(['start', '--help'], badConfig)]);
    jobs.push(['migrate --help (bad configuration)', () => runCli(['migrate', '--help'], badConfig)]);
    jobs.push(['start (bad configuration)', () => runCli(['start'], badConfig)]);
    // a free port: after a mistyped `web`, nothing listens on it
    jobs.push([
      'web --hepl (free port)',
      () => runCli(['web', '--hepl'], { ...withDb, PORT: String(freeApiPort) }),
    ]);
    jobs.push(['bin help', () => runCli(['help'], embedded, BIN_PATH)]);
    jobs.push(['bin -- --help', () => runCli(['--', '--help'], embedded, BIN_PATH)]);
    jobs.push(['bin -- migrate --help', () => runCli(['--', 'migrate', '--help'], withDb, BIN_PATH)]);
    // a few at a time, not all at once: a small machine stays responsive
    const queue = [...jobs];
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        for (let job = queue.shift(); job; job = queue.shift()) results.set(job[0], await job[1]());
      }),
    );
  });

  after(async () => {
    for (const server of held) server.close();
    for (const home of homes) fs.rmSync(home, { recursive: true, force: true });
    await db?.close();
  });

  const get = (key: string): Run => {
    const run = results.get(key);
    assert.ok(run, `no run for ${key}`);
    return run;
  };

  for (const command of COMMANDS) {
    test(`steadfast ${command} --help / -h / help ${command}: its usage, exit 0, nothing else`, () => {
      const help = get(`${command} --help`);
      assert.equal(help.code, 0, help.stderr);
      assert.equal(help.stderr, '');
      assert.match(help.stdout, new RegExp(`^Usage: steadfast ${command}\\b`));
      assert.ok(help.stdout.includes('--help'), 'the usage lists --help');
      if (command !== 'tenant' && command !== 'key')
        assert.match(help.stdout, /[A-Z_]{4,}/, 'the usage names environment variables');
      assert.deepEqual(get(`${command} -h`), help);
      assert.deepEqual(get(`help ${command}`), help);
    });
  }

  test('the usages explain what matters: options and the environment', () => {
    assert.match(
      get('tenant create --help').stdout,
      /--email[\s\S]*key create --operator[\s\S]*DATABASE_URL/,
    );
    assert.match(get('key --help').stdout, /list[\s\S]*create[\s\S]*revoke <keyId>/);
    assert.match(
      get('key create --help').stdout,
      /--tenant[\s\S]*--operator[\s\S]*--expires-in-s[\s\S]*DATABASE_URL/,
    );
    assert.match(get('key list --help').stdout, /--tenant[\s\S]*--operator[\s\S]*DATABASE_URL/);
    assert.match(get('key revoke --help').stdout, /<keyId>[\s\S]*DATABASE_URL/);
    assert.match(get('tenant --help').stdout, /create <name>/);
    assert.match(get('config --help').stdout, /check \[--role <role>\]/);
    assert.match(
      get('config check --help').stdout,
      /--role[\s\S]*DATABASE_DIRECT_URL[\s\S]*PAYMENTS_WEBHOOK_SECRET/,
    );
    assert.match(
      get('start --help').stdout,
      /PORT[\s\S]*SANDBOX_PORT[\s\S]*DATABASE_URL[\s\S]*STEADFAST_HOME/,
    );
    assert.match(get('worker --help').stdout, /WORKER_METRICS_PORT/);
    assert.match(get('migrate --help').stdout, /DATABASE_URL/);
  });

  test('steadfast check --help is the checker’s usage, under its steadfast name', () => {
    const { stdout } = get('check --help');
    for (const option of [
      '--openapi',
      '--api-key',
      '--only',
      '--junit',
      'STEADFAST_CHECK_API_KEY',
      'Exit codes',
    ])
      assert.ok(stdout.includes(option), `${option} is explained`);
  });

  test('steadfast --help, -h, help, and the bin as npx runs it (`npx steadfast help`, `npx steadfast -- --help`) list every command', () => {
    const help = get('--help');
    assert.equal(help.code, 0);
    assert.match(help.stdout, /^Usage: steadfast <command>/);
    for (const command of [...COMMANDS, 'help'])
      assert.match(help.stdout, new RegExp(`^  ${command}\\b`, 'm'), `${command} is listed`);
    assert.match(help.stdout, /npx steadfast help/);
    assert.deepEqual(get('-h'), help);
    assert.deepEqual(get('help'), help);
    assert.deepEqual(get('bin help'), help);
    assert.deepEqual(get('bin -- --help'), help, 'npx steadfast -- --help');
    assert.deepEqual(get('bin -- migrate --help'), get('migrate --help'), 'npx steadfast -- migrate --help');
  });

  test('--version and -v print the version of apps/orders/package.json', () => {
    for (const flag of ['--version', '-v'])
      assert.deepEqual(get(flag), { code: 0, stdout: `${pkg.version}\n`, stderr: '' });
  });

  test('a mistyped option, argument or command exits 2 with one line and a hint, and starts nothing', () => {
    for (const args of [...WITH_TYPO, ['help', 'nope'], []]) {
      const run = get(args.join(' ') || '(none)');
      assert.equal(run.code, 2, `${args.join(' ')}: ${run.stderr}`);
      assert.equal(run.stdout, '', args.join(' '));
      const lines = run.stderr.trimEnd().split('\n');
      assert.equal(lines.length, 1, run.stderr);
      assert.match(lines[0], /^steadfast[ :]/);
      assert.match(lines[0], /; run "steadfast (help|[a-z ]+ --help)"$/);
    }
    assert.match(get('migrate --hepl').stderr, /Unknown option '--hepl'; run "steadfast migrate --help"/);
    assert.match(get('tenant create').stderr, /run "steadfast tenant create --help"/);
    assert.match(
      get('tenant create Acme --ops').stderr,
      /--ops is gone[\s\S]*steadfast key create --operator/,
    );
    assert.match(get('key create --tenant ten_x --operator On-call').stderr, /exactly one of --tenant/);
    assert.match(get('key revoke nope').stderr, /not a key id[\s\S]*run "steadfast key revoke --help"/);
    assert.match(get('check http://127.0.0.1:1 --hepl').stderr, /run "steadfast check --help"/);
  });

  test('a bad configuration is not read by --help; a command that runs fails with exit 1 and one line', () => {
    assert.deepEqual(get('start --help (bad configuration)'), get('start --help'));
    assert.deepEqual(get('migrate --help (bad configuration)'), get('migrate --help'));
    const run = get('start (bad configuration)');
    assert.equal(run.code, 1);
    assert.match(run.stderr, /^steadfast: bad configuration: PORT: .*\n$/);
  });

  test('no side effect: no port bound, no migration, no embedded cluster, an empty home', async () => {
    for (const home of homes) assert.deepEqual(fs.readdirSync(home), [], `${home} stays empty`);
    const tables = await db.pool.query(
      `SELECT table_schema, table_name FROM information_schema.tables
        WHERE table_schema NOT IN ('pg_catalog', 'information_schema')`,
    );
    assert.deepEqual(tables.rows, [], 'no table appeared (no steadfast_schema_migrations)');
    const migrations = await db.pool.query(`SELECT to_regclass('steadfast_schema_migrations') AS t`);
    assert.equal(migrations.rows[0].t, null);
    // nothing listens on the free port a mistyped `web` was given
    const refused = await new Promise<boolean>((resolve) => {
      const socket = net.connect(freeApiPort, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(false);
      });
      socket.once('error', () => resolve(true));
    });
    assert.ok(refused, `nothing listens on ${freeApiPort}`);
  });
});
