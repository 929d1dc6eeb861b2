/**
 * PgBouncer in transaction pooling mode in front of a Postgres server, for
 * tests and benchmarks: `findPgBouncer()` looks for the binary (Debian's
 * `pgbouncer` package: /usr/sbin/pgbouncer), `startPgBouncer()` writes a
 * config into a temporary directory and runs it on a free loopback port. Every
 * database name is forwarded (`*`), so per-file test databases need no entry.
 * Run as root it drops to the `postgres` user (PgBouncer refuses root).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { freePort } from './embedded-cluster.ts';

export interface PgBouncer {
  port: number;
  /** the pooled URL of `database` (same user and password as the server URL) */
  url(database: string): string;
  /** the config file it runs with (for docs and debugging) */
  configFile: string;
  stop(): Promise<void>;
}

export interface PgBouncerOptions {
  /** a URL of the server (user, password, host, port); its database part is ignored */
  serverUrl: string;
  binary?: string;
  /** server connections per database and user (default 20) */
  poolSize?: number;
  /** sent on each new server connection: PgBouncer 1.18 refuses the statement_timeout startup parameter */
  statementTimeoutMs?: number;
  /** default: 10000 */
  startTimeoutMs?: number;
  /** more `[pgbouncer]` settings, e.g. `{ server_login_retry: '1' }` */
  settings?: Record<string, string>;
}

const CANDIDATES = ['/usr/sbin/pgbouncer', '/usr/bin/pgbouncer', '/usr/local/bin/pgbouncer'];

/** the pgbouncer binary, or undefined when it is not installed */
export function findPgBouncer(): string | undefined {
  return CANDIDATES.find((file) => fs.existsSync(file));
}

/** the pgbouncer.ini this harness runs (also the shape docs/production.md shows) */
export function pgBouncerConfig(options: {
  serverHost: string;
  serverPort: number;
  serverUser: string;
  serverPassword: string;
  listenPort: number;
  authFile: string;
  poolSize: number;
  statementTimeoutMs: number;
  runAs?: string;
  settings?: Record<string, string>;
}): string {
  const connect = `connect_query='SET statement_timeout = ${options.statementTimeoutMs}'`;
  return [
    '[databases]',
    `* = host=${options.serverHost} port=${options.serverPort} user=${options.serverUser} password=${options.serverPassword} ${connect}`,
    '',
    '[pgbouncer]',
    'listen_addr = 127.0.0.1',
    `listen_port = ${options.listenPort}`,
    'unix_socket_dir =',
    'pool_mode = transaction',
    'auth_type = plain',
    `auth_file = ${options.authFile}`,
    `default_pool_size = ${options.poolSize}`,
    'max_client_conn = 1000',
    'ignore_startup_parameters = extra_float_digits',
    'server_reset_query =',
    'log_connections = 0',
    'log_disconnections = 0',
    ...(options.runAs ? [`user = ${options.runAs}`] : []),
    ...Object.entries(options.settings ?? {}).map(([name, value]) => `${name} = ${value}`),
    '',
  ].join('\n');
}

function waitForPort(port: number, child: ChildProcess, output: () => string, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  return new Promise<void>((resolve, reject) => {
    const attempt = () => {
      if (child.exitCode !== null) {
        reject(new Error(`pgbouncer exited with ${child.exitCode}: ${output().trim().split('\n').pop()}`));
        return;
      }
      const socket = net.connect({ port, host: '127.0.0.1' });
      socket.once('connect', () => {
        socket.destroy();
        resolve();
      });
      socket.once('error', () => {
        socket.destroy();
        if (Date.now() > deadline) reject(new Error(`pgbouncer did not listen on ${port}: ${output()}`));
        else setTimeout(attempt, 50);
      });
    };
    attempt();
  });
}

export async function startPgBouncer(options: PgBouncerOptions): Promise<PgBouncer> {
  const binary = options.binary ?? findPgBouncer();
  if (!binary) throw new Error('pgbouncer is not installed (Debian: apt-get install pgbouncer)');
  const server = new URL(options.serverUrl);
  const user = decodeURIComponent(server.username);
  const password = decodeURIComponent(server.password);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'steadfast-pgbouncer-'));
  fs.chmodSync(dir, 0o755); // readable by the postgres user it drops to when we are root
  const authFile = path.join(dir, 'userlist.txt');
  fs.writeFileSync(authFile, `"${user}" "${password}"\n`, { mode: 0o644 });
  const port = await freePort();
  const configFile = path.join(dir, 'pgbouncer.ini');
  const isRoot = process.getuid?.() === 0;
  fs.writeFileSync(
    configFile,
    pgBouncerConfig({
      serverHost: server.hostname,
      serverPort: Number(server.port || 5432),
      serverUser: user,
      serverPassword: password,
      listenPort: port,
      authFile,
      poolSize: options.poolSize ?? 20,
      statementTimeoutMs: options.statementTimeoutMs ?? 5000,
      runAs: isRoot ? 'postgres' : undefined,
      settings: options.settings,
    }),
    { mode: 0o644 },
  );
  const child = spawn(binary, [configFile], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const collect = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-4000);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    await waitForPort(port, child, () => output, options.startTimeoutMs ?? 10_000);
  } catch (error) {
    child.kill('SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    port,
    configFile,
    url(database) {
      const pooled = new URL(options.serverUrl);
      pooled.hostname = '127.0.0.1';
      pooled.port = String(port);
      pooled.pathname = `/${database}`;
      return pooled.toString();
    },
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGTERM'); // 1.18: SIGTERM is an immediate shutdown (SIGINT waits for queries)
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(timer);
      }
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
