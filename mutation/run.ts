/**
 * `npm run mutation -- <block> [stryker options]`: Stryker on one block with
 * its checked-in config (mutation/<block>.config.json). Not part of npm test.
 *
 * A block whose tests need Postgres gets one cluster per worker for the whole
 * run (mutation/slots.ts): each mutant's test run migrates a template of its
 * own on a free one (STEADFAST_TEST_SERVER_URL) instead of starting a
 * cluster, about 4 s less per mutant.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { freePort, startEmbeddedCluster } from '../packages/toolkit/src/testing/embedded-cluster.ts';
import { TARGETS } from './blocks.ts';
import { ownTempDir, reclaimStrayClusters } from './clusters.ts';
import { SERVERS_ENV } from './slots.ts';

const [block, ...rest] = process.argv.slice(2);
const here = path.dirname(new URL(import.meta.url).pathname);
const blocks = readdirSync(here)
  .filter((f) => f.endsWith('.config.json'))
  .map((f) => f.replace('.config.json', ''));
if (!block || !existsSync(path.join(here, `${block}.config.json`))) {
  console.error(`usage: npm run mutation -- <block>   (blocks: ${blocks.join(', ')})`);
  process.exit(2);
}
// the block the config's command tests (a config may cover part of a block)
const config = JSON.parse(readFileSync(path.join(here, `${block}.config.json`), 'utf8'));
const tested = /test-block\.ts\s+(\S+)/.exec(config.commandRunner?.command ?? '')?.[1] ?? block;
// `--concurrency N` on the command line wins over the config's; one cluster per worker
const asked = rest.indexOf('--concurrency');
const workers = Number(asked >= 0 ? rest[asked + 1] : (config.concurrency ?? 1));
if (!Number.isInteger(workers) || workers < 1) {
  console.error(`mutation: --concurrency must be a positive integer, got ${rest[asked + 1]}`);
  process.exit(2);
}
await reclaimStrayClusters({ log: (line) => console.error(line) });
const servers: Awaited<ReturnType<typeof startEmbeddedCluster>>[] = [];
// one after the other: two free ports asked for at once could be the same one
for (let i = 0; TARGETS[tested]?.postgres && i < workers; i++) {
  servers.push(
    await startEmbeddedCluster({
      // under the run's own folder: a run killed outright is reclaimed by the next one
      dataDir: path.join(ownTempDir(process.pid), `pg-${i}`),
      port: await freePort(),
      password: 'test',
      settings: { fsync: 'off', synchronous_commit: 'off', full_page_writes: 'off', max_connections: '300' },
    }),
  );
}
// through this Node (24): the bin's shebang would pick whatever `node` comes first on PATH
const stryker = path.join(here, '../node_modules/@stryker-mutator/core/bin/stryker.js');
const run = spawnSync(
  process.execPath,
  [stryker, 'run', path.join('mutation', `${block}.config.json`), ...rest],
  {
    stdio: 'inherit',
    env: {
      ...process.env,
      // the runner's `node` (mutation/test-block.ts, TypeScript) must be this Node too
      PATH: `${path.dirname(process.execPath)}${path.delimiter}${process.env.PATH}`,
      [SERVERS_ENV]: servers.map((server) => server.url('postgres')).join(' '),
    },
  },
);
await Promise.all(servers.map((server) => server.stop()));
rmSync(ownTempDir(process.pid), { recursive: true, force: true });
// the last mutants' timeouts leave their clusters too (mutation/clusters.ts)
const stopped = await reclaimStrayClusters({ log: (line) => console.error(line) });
if (stopped > 0) console.error(`mutation: ${stopped} stray cluster(s) stopped after the run`);
process.exit(run.status ?? 1);
