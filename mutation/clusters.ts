/**
 * Embedded Postgres clusters left behind by timed-out mutants.
 *
 * On a timeout Stryker's command runner SIGKILLs the test command's process
 * tree. The test harness's SIGTERM/SIGINT cleanup never runs, and the
 * postmaster is not in that tree (pg_ctl daemonizes it), so it keeps running
 * with its data folder under the temp directory.
 *
 * So every test-block process gives its tests a temp directory of its own,
 * `<os tmp>/steadfast-mutation/<its pid>/` (TMPDIR), and reclaims the folders
 * of test-block processes that are gone: it stops the postmaster found in each
 * (SIGQUIT, Postgres's immediate shutdown) and removes the folder. run.ts does
 * the same once Stryker has exited, so the last mutant's strays go too.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface ReclaimOptions {
  /** default: `<os tmp>/steadfast-mutation` */
  root?: string;
  /** how long to wait for a stopped postmaster to exit */
  waitMs?: number;
  log?: (line: string) => void;
}

export function clustersRoot(): string {
  return path.join(os.tmpdir(), 'steadfast-mutation');
}

/** The temp directory of one test-block process (created). */
export function ownTempDir(pid: number, root = clustersRoot()): string {
  const dir = path.join(root, String(pid));
  fs.mkdirSync(dir, { recursive: true, mode: 0o755 });
  return dir;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Postmaster pids found in `dir`, up to 3 levels down (its steadfast-test-XXXX/pg/postmaster.pid). */
function postmasters(dir: string, depth = 3): number[] {
  const found: number[] = [];
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return found;
  }
  for (const entry of entries) {
    const at = path.join(dir, entry.name);
    if (entry.isFile() && entry.name === 'postmaster.pid') {
      const pid = Number(fs.readFileSync(at, 'utf8').split('\n')[0]);
      if (Number.isInteger(pid) && pid > 0) found.push(pid);
    } else if (entry.isDirectory() && depth > 0) {
      found.push(...postmasters(at, depth - 1));
    }
  }
  return found;
}

/** The command name of a live process, undefined when unknown (no /proc). */
function commandOf(pid: number): string | undefined {
  try {
    return fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return undefined;
  }
}

/**
 * Stops the clusters of test-block processes that are gone and removes their
 * folders; answers how many postmasters it stopped. Folders of live ones are
 * left alone (a parallel worker's cluster is in use).
 */
export async function reclaimStrayClusters(options: ReclaimOptions = {}): Promise<number> {
  const root = options.root ?? clustersRoot();
  const waitMs = options.waitMs ?? 10_000;
  let stopped = 0;
  let owners: string[];
  try {
    owners = fs.readdirSync(root);
  } catch {
    return 0; // no run has used it yet
  }
  for (const owner of owners) {
    const ownerPid = Number(owner);
    if (Number.isInteger(ownerPid) && ownerPid > 0 && isAlive(ownerPid)) continue;
    const dir = path.join(root, owner);
    let running = 0;
    for (const pid of postmasters(dir)) {
      if (!isAlive(pid)) continue;
      // a recycled pid is not ours to stop: only a postgres process is
      if (commandOf(pid) !== 'postgres') continue;
      try {
        process.kill(pid, 'SIGQUIT');
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error; // it exited meanwhile
      }
      const deadline = Date.now() + waitMs;
      while (isAlive(pid) && commandOf(pid) === 'postgres' && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      if (isAlive(pid) && commandOf(pid) === 'postgres') {
        running++;
        options.log?.(`mutation: postmaster ${pid} in ${dir} did not stop within ${waitMs} ms; folder kept`);
      } else {
        stopped++;
        options.log?.(`mutation: stopped a stray cluster (postmaster ${pid}) in ${dir}`);
      }
    }
    if (running === 0) fs.rmSync(dir, { recursive: true, force: true });
  }
  return stopped;
}
