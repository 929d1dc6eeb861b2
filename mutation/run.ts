/**
 * `npm run mutation -- <block> [stryker options]`: Stryker on one block with
 * its checked-in config (mutation/<block>.config.json). Not part of npm test.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { reclaimStrayClusters } from './clusters.ts';

const [block, ...rest] = process.argv.slice(2);
const here = path.dirname(new URL(import.meta.url).pathname);
const blocks = readdirSync(here)
  .filter((f) => f.endsWith('.config.json'))
  .map((f) => f.replace('.config.json', ''));
if (!block || !existsSync(path.join(here, `${block}.config.json`))) {
  console.error(`usage: npm run mutation -- <block>   (blocks: ${blocks.join(', ')})`);
  process.exit(2);
}
// through this Node (24): the bin's shebang would pick whatever `node` comes first on PATH
const stryker = path.join(here, '../node_modules/@stryker-mutator/core/bin/stryker.js');
const run = spawnSync(
  process.execPath,
  [stryker, 'run', path.join('mutation', `${block}.config.json`), ...rest],
  {
    stdio: 'inherit',
    // the runner's `node` (mutation/test-block.ts, TypeScript) must be this Node too
    env: { ...process.env, PATH: `${path.dirname(process.execPath)}${path.delimiter}${process.env.PATH}` },
  },
);
// the last mutants' timeouts leave their clusters too (mutation/clusters.ts)
const stopped = await reclaimStrayClusters({ log: (line) => console.error(line) });
if (stopped > 0) console.error(`mutation: ${stopped} stray cluster(s) stopped after the run`);
process.exit(run.status ?? 1);
