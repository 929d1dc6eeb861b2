/**
 * Run the steadfast CLI as a child process (for process-level tests and
 * benchmarks): wait for the banner, read the API URL and demo key from it.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '@steadfast/toolkit/testing';

export const CLI_PATH = path.resolve(import.meta.dirname, '..', 'cli.ts');
/** the package's bin, as `npx steadfast` runs it */
export const BIN_PATH = path.resolve(import.meta.dirname, '..', '..', 'bin', 'steadfast.js');

export interface RunningCli {
  child: ChildProcess;
  apiUrl: string;
  apiKey: string;
  /** the demo operator's key (operator routes) */
  operatorKey: string;
  output(): string;
  /** SIGTERM (or another signal) and wait for the exit code */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

const live = new Set<ChildProcess>();

/** SIGKILL every child still running (for test teardown after a failure). */
export function killAllChildren(): void {
  for (const child of live) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  live.clear();
}

export function makeHome(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'steadfast-home-'));
  fs.chmodSync(dir, 0o755);
  return dir;
}

export function childEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  const base = { ...process.env };
  for (const key of Object.keys(base))
    if (key.startsWith('STEADFAST_') || key.startsWith('DATABASE_') || key === 'NODE_ENV') delete base[key];
  // the sandbox is off unless a test asks for it, so parallel tests never fight over its port
  return { ...base, LOG_LEVEL: 'warn', SANDBOX_PORT: '0', ...env };
}

export function exitOf(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

export async function startCli(env: Record<string, string>, timeoutMs = 60_000): Promise<RunningCli> {
  // the API needs its partners: run the sandbox on a free port unless told otherwise
  const sandboxPort = env.SANDBOX_PORT ?? String(await freePort());
  const child = spawn(process.execPath, [CLI_PATH, 'start'], {
    env: childEnv({ ...env, SANDBOX_PORT: sandboxPort }),
    stdio: 'pipe',
  });
  live.add(child);
  child.once('exit', () => live.delete(child));
  let out = '';
  child.stdout?.on('data', (chunk) => {
    out += chunk;
  });
  child.stderr?.on('data', (chunk) => {
    out += chunk;
  });
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const url = /API\s+(http:\/\/\S+)\/v1\/orders/.exec(out);
    const key = /Tenant key\s+(\S+)/.exec(out);
    const operator = /Operator key\s+(\S+)/.exec(out);
    if (url && key && operator) {
      return {
        child,
        apiUrl: url[1],
        apiKey: key[1],
        operatorKey: operator[1],
        output: () => out,
        async stop(signal = 'SIGTERM') {
          child.kill(signal);
          return exitOf(child);
        },
      };
    }
    if (child.exitCode !== null) throw new Error(`steadfast start exited with ${child.exitCode}:\n${out}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`steadfast start printed no banner within ${timeoutMs} ms:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Run a one-shot CLI command (`script`: the CLI, or BIN_PATH); resolves with its exit code and output. */
export function runCli(
  args: string[],
  env: Record<string, string>,
  script = CLI_PATH,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [script, ...args], { env: childEnv(env), stdio: 'pipe' });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => {
      stdout += c;
    });
    child.stderr.on('data', (c) => {
      stderr += c;
    });
    // 'close', not 'exit': on a loaded machine output can still be in the pipes when the process exits
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
