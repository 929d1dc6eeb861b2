/**
 * The command Stryker's command runner calls in its sandbox, once per mutant:
 * `node mutation/test-block.ts <block>` runs the block's tests against the
 * sandbox's (mutated) sources and exits non-zero when a test fails (= killed).
 *
 * The sandbox has no node_modules of its own (symlinkNodeModules: false), so
 * bare imports resolve upwards to the repository's node_modules — except the
 * workspace packages, whose symlinks there point at the unmutated sources:
 * node_modules/@steadfast/toolkit is linked here to the sandbox's copy, and
 * the toolkit's own nested node_modules to the repository's.
 */
import { spawnSync } from 'node:child_process';
import fs, { existsSync, mkdirSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { TARGETS } from './blocks.ts';
import { ownTempDir, reclaimStrayClusters } from './clusters.ts';
import { claimSlot, SERVERS_ENV, type Slot } from './slots.ts';

const block = process.argv[2];
const target = TARGETS[block];
if (!target) {
  console.error(`unknown block "${block}" (known: ${Object.keys(TARGETS).join(', ')})`);
  process.exit(2);
}

const sandbox = process.cwd();
let repo = path.dirname(sandbox);
while (!existsSync(path.join(repo, '.git'))) {
  const up = path.dirname(repo);
  if (up === repo) throw new Error('mutation/test-block.ts must run in a sandbox inside the repository');
  repo = up;
}
function link(at: string, to: string) {
  if (existsSync(at) || !existsSync(to)) return;
  mkdirSync(path.dirname(at), { recursive: true });
  symlinkSync(to, at);
}
link(path.join(sandbox, 'node_modules/@steadfast/toolkit'), path.join(sandbox, 'packages/toolkit'));
link(path.join(sandbox, 'packages/toolkit/node_modules'), path.join(repo, 'packages/toolkit/node_modules'));

const args = ['--test', '--test-isolation=none'];
const env: NodeJS.ProcessEnv = { ...process.env, NODE_OPTIONS: '--conditions=steadfast-source' };
let tempDir: string | undefined;
let slot: Slot | undefined;
if (target.postgres) {
  args.push('--test-global-setup=apps/orders/src/test-setup.ts');
  // the run's clusters, one per worker (mutation/run.ts, mutation/slots.ts): an earlier mutant
  // killed at its timeout left its template and test databases on the one this run claims,
  // and nothing else uses that one now
  const servers = process.env[SERVERS_ENV]?.split(' ').filter(Boolean) ?? [];
  if (servers.length > 0) {
    slot = await claimSlot(servers);
    env.STEADFAST_TEST_SERVER_URL = slot.url;
    await dropLeftDatabases(slot.url);
  }
  // clusters of earlier mutants that timed out (SIGKILL): see mutation/clusters.ts
  await reclaimStrayClusters({ log: (line) => console.error(line) });
  tempDir = ownTempDir(process.pid);
  env.TMPDIR = tempDir;
}
const run = spawnSync(process.execPath, [...args, ...target.tests], {
  stdio: ['ignore', 'ignore', 'inherit'],
  env,
});
if (tempDir) fs.rmSync(tempDir, { recursive: true, force: true });
await slot?.release();
process.exit(run.status ?? 1);

/** Every database but the server's own; plain pg, not the toolkit's pool, which may be the mutant. */
async function dropLeftDatabases(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ datname: string }>(
      `SELECT datname FROM pg_database WHERE datname NOT IN ('postgres', 'template0', 'template1')`,
    );
    for (const { datname } of rows) await client.query(`DROP DATABASE "${datname}" WITH (FORCE)`);
  } finally {
    await client.end();
  }
}
