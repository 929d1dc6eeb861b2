/**
 * The global setup on a server that is already running (STEADFAST_TEST_SERVER_URL):
 * a child `node --test` run on this run's server starts no cluster, migrates a
 * template of its own there, clones its test databases from it, and leaves nothing
 * behind; a migration that fails leaves no template either.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { createPool } from '../postgres/index.ts';
import { adminUrl } from './database.ts';
import { SERVER_URL_ENV } from './global-setup.ts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'steadfast-setup-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));
const here = (file: string) => new URL(file, import.meta.url).href;

function write(name: string, text: string): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, text);
  return file;
}

/** runs `testFile` under a global setup whose migration is `migration` (SQL) */
function childRun(migration: string, testFile: string) {
  const setup = write(
    `setup-${Math.random().toString(16).slice(2)}.ts`,
    `import { createGlobalSetup } from ${JSON.stringify(here('./global-setup.ts'))};
export const { globalSetup, globalTeardown } = createGlobalSetup({
  migrate: (pool) => pool.query(${JSON.stringify(migration)}),
});
`,
  );
  // without NODE_TEST_CONTEXT: with it the child reports to this runner instead of running its own
  const { NODE_TEST_CONTEXT: _, ...env } = process.env;
  return spawnSync(process.execPath, ['--test', `--test-global-setup=${setup}`, testFile], {
    env: { ...env, [SERVER_URL_ENV]: adminUrl() },
    encoding: 'utf8',
    timeout: 60_000,
  });
}

async function databases(): Promise<string[]> {
  const admin = createPool({ connectionString: adminUrl(), max: 1 });
  try {
    const { rows } = await admin.query<{ datname: string }>('SELECT datname FROM pg_database');
    return rows.map((row) => row.datname);
  } finally {
    await admin.end();
  }
}

test('on a running server: no cluster, a template of its own, nothing left behind', async () => {
  const before = new Set(await databases());
  const probe = write(
    'probe.test.ts',
    `import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createTestDatabase } from ${JSON.stringify(here('./database.ts'))};
test('probe', async () => {
  const db = await createTestDatabase();
  try {
    const { rows } = await db.pool.query('SELECT count(*)::int AS n FROM marker');
    assert.equal(rows[0].n, 1);
    const info = await db.pool.query('SELECT current_database() AS name');
    console.log('PROBE ' + JSON.stringify({
      admin: process.env.STEADFAST_TEST_ADMIN_URL,
      template: process.env.STEADFAST_TEST_TEMPLATE,
      database: info.rows[0].name,
    }));
  } finally {
    await db.close();
  }
});
`,
  );
  const run = childRun(`CREATE TABLE marker (x int); INSERT INTO marker VALUES (1)`, probe);
  assert.equal(run.status, 0, run.stdout + run.stderr);
  const line = run.stdout.split('\n').find((l) => l.includes('PROBE '));
  assert.ok(line, `the probe printed nothing:\n${run.stdout}`);
  const seen = JSON.parse(line.slice(line.indexOf('PROBE ') + 6));
  assert.equal(seen.admin, adminUrl(), 'the child used the server it was given, not a cluster of its own');
  assert.match(seen.template, /^steadfast_template_[0-9a-f]{12}$/);
  const after = await databases();
  assert.ok(!after.includes(seen.template), 'the template is dropped at the end of the run');
  assert.ok(!after.includes(seen.database), 'the test database is dropped by its file');
  assert.deepEqual(
    after.filter((name) => !before.has(name) && name.startsWith('steadfast_template')),
    [],
  );
});

test('on a running server: a failing migration fails the run and leaves no template', async () => {
  const before = new Set(await databases());
  const idle = write('idle.test.ts', `import { test } from 'node:test';\ntest('idle', () => {});\n`);
  const run = childRun('CREATE TABLE broken (', idle);
  assert.notEqual(run.status, 0, 'the run must fail when its template cannot be migrated');
  // other files' test databases come and go meanwhile (files run in parallel): look at templates only
  const left = (await databases()).filter(
    (name) => !before.has(name) && name.startsWith('steadfast_template_'),
  );
  assert.deepEqual(left, [], 'no template is left on the shared server');
});
