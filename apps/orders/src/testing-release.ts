/**
 * A previous release of this repository, taken from git, run as a child
 * process beside the code under test (release-mix.test.ts): a detached
 * worktree of a commit, with a node_modules of its own whose workspace
 * packages (`@steadfast/*`) are the worktree's — the main tree's are symlinks
 * into the main tree, so borrowing them would run the new code under the old
 * name. Third-party packages are the main tree's (same lockfile era).
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { childEnv, exitOf, makeHome } from './runtime/spawn-cli.ts';

/** the repository's top level (the main tree) */
export const REPO_DIR = path.resolve(import.meta.dirname, '..', '..', '..');

/** True when `commit` is in the local history (a shallow clone may lack it). */
export function hasCommit(commit: string, repoDir = REPO_DIR): boolean {
  try {
    execFileSync('git', ['-C', repoDir, 'cat-file', '-e', `${commit}^{commit}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export interface ReleaseCheckout {
  /** the worktree's top level */
  dir: string;
  commit: string;
  /** `git worktree remove --force`, then the directory itself if git left it */
  remove(): void;
}

/** Link every main-tree package but the workspace ones; `@steadfast/<name>` → the worktree's own folder. */
function linkModules(dir: string, repoDir: string): void {
  const main = path.join(repoDir, 'node_modules');
  const own = path.join(dir, 'node_modules');
  fs.mkdirSync(path.join(own, '@steadfast'), { recursive: true });
  for (const entry of fs.readdirSync(main)) {
    if (entry === '@steadfast') continue;
    fs.symlinkSync(path.join(main, entry), path.join(own, entry));
  }
  for (const name of fs.readdirSync(path.join(main, '@steadfast'))) {
    // the main link is relative (../../packages/toolkit): the same path inside the worktree
    const target = fs.readlinkSync(path.join(main, '@steadfast', name));
    const inWorktree = path.resolve(own, '@steadfast', target);
    if (!inWorktree.startsWith(dir + path.sep))
      throw new Error(`@steadfast/${name} links outside the tree: ${target}`);
    if (fs.existsSync(inWorktree)) fs.symlinkSync(inWorktree, path.join(own, '@steadfast', name));
  }
}

export function checkoutRelease(commit: string, repoDir = REPO_DIR): ReleaseCheckout {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'steadfast-release-'));
  const remove = () => {
    try {
      execFileSync('git', ['-C', repoDir, 'worktree', 'remove', '--force', dir], { stdio: 'pipe' });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
      execFileSync('git', ['-C', repoDir, 'worktree', 'prune'], { stdio: 'ignore' });
    }
  };
  try {
    execFileSync('git', ['-C', repoDir, 'worktree', 'add', '--detach', dir, commit], { stdio: 'pipe' });
    linkModules(dir, repoDir);
  } catch (error) {
    remove();
    throw error;
  }
  return { dir, commit, remove };
}

export interface RunningRelease {
  child: ChildProcess;
  url: string;
  output(): string;
  /** SIGTERM, SIGKILL after `graceMs`; resolves when it has exited */
  stop(graceMs?: number): Promise<void>;
}

/** the partner URLs (a running sandbox's `urls`) as the CLI's environment */
function partnerEnv(urls: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, url] of Object.entries(urls))
    env[name.replace(/Url$/, '').toUpperCase().concat('_URL')] = url;
  return env;
}

/**
 * `steadfast web` of the checked-out release on `port`, with `env` (DATABASE_URL…), the partners at
 * `partners` (`pricingUrl` → PRICING_URL…) and a home of its own (removed by stop); resolves once
 * its /readyz answers 200, rejects with its output if it exits or stays unready.
 */
export async function startReleaseWeb(
  checkout: ReleaseCheckout,
  options: {
    port: number;
    env: Record<string, string>;
    partners: Record<string, string>;
    timeoutMs?: number;
  },
): Promise<RunningRelease> {
  const cli = path.join(checkout.dir, 'apps', 'orders', 'src', 'cli.ts');
  const home = makeHome();
  const env = { STEADFAST_HOME: home, ...partnerEnv(options.partners), ...options.env };
  const child = spawn(process.execPath, ['--conditions=steadfast-source', cli, 'web'], {
    cwd: checkout.dir,
    env: childEnv({ ...env, PORT: String(options.port), HOST: '127.0.0.1' }),
    stdio: 'pipe',
  });
  child.once('exit', () => fs.rmSync(home, { recursive: true, force: true }));
  let out = '';
  child.stdout?.on('data', (chunk) => {
    out += chunk;
  });
  child.stderr?.on('data', (chunk) => {
    out += chunk;
  });
  const url = `http://127.0.0.1:${options.port}`;
  const release: RunningRelease = {
    child,
    url,
    output: () => out,
    async stop(graceMs = 10_000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = exitOf(child);
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null)
      throw new Error(`the release at ${checkout.commit} exited (${child.exitCode}):\n${out}`);
    const ready = await fetch(`${url}/readyz`).then(
      (r) => r.status === 200,
      () => false, // not listening yet
    );
    if (ready) return release;
    if (Date.now() > deadline) {
      await release.stop(0);
      throw new Error(`the release at ${checkout.commit} was not ready in time:\n${out}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
