/** The soak's two child processes: the service (soak-service.ts, over IPC) and the load (soak-load-child.ts). */

import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { SoakLoadOptions } from './soak-load-child.ts';
import type { ServiceSample } from './soak-service.ts';

export interface SoakProgress {
  atS: number;
  operations: number;
  requests: number;
  errors: number;
  dropped: number;
}

export interface SoakLoadResult extends SoakProgress {
  elapsedS: number;
  webhooksForRealCharges: number;
  byRequest: Record<string, { count: number; p50Ms: number; p99Ms: number }>;
  errorSamples: string[];
}

export interface ServiceProcess {
  url: string;
  pid: number;
  sample(): Promise<ServiceSample>;
  /** heap used after a full GC, bytes */
  retainedHeap(): Promise<number>;
  /** the service's Prometheus metrics (GET /metrics), as a scraper sees them */
  metrics(): Promise<string>;
  heapSnapshot(file: string): Promise<string>;
  /** SIGTERM (the production shutdown path); resolves with the exit code */
  stop(): Promise<number | null>;
}

const SERVICE = path.join(import.meta.dirname, 'soak-service.ts');
const LOAD = path.join(import.meta.dirname, 'soak-load-child.ts');

function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

/** one IPC answer of `type`, or a rejection after `timeoutMs` or if the process ends */
function answer<T>(child: ChildProcess, type: string, timeoutMs: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => done(new Error(`service: no ${type} answer within ${timeoutMs} ms`)),
      timeoutMs,
    );
    const onMessage = (message: { type: string }) => {
      if (message.type === type) done(undefined, message as T);
    };
    const onExit = (code: number | null) =>
      done(new Error(`service exited (${code}) before its ${type} answer`));
    const done = (error?: Error, value?: T) => {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
      if (error) reject(error);
      else resolve(value as T);
    };
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
}

/** the V8 flags of the root package.json's `start` script (`node --max-semi-space-size=16 … cli.ts start`) */
export function startScriptNodeFlags(): string {
  const pkg = JSON.parse(fs.readFileSync(path.join(import.meta.dirname, '../../package.json'), 'utf8')) as {
    scripts: { start: string };
  };
  return pkg.scripts.start
    .split(' ')
    .filter((arg) => arg.startsWith('--max-'))
    .join(' ');
}

export async function startServiceProcess(
  env: Record<string, string>,
  port: number,
): Promise<ServiceProcess> {
  // the service runs with the Node flags `npm start` gives it; SOAK_SERVICE_NODE_FLAGS replaces them
  // (e.g. "" for Node's defaults, or a heap cap), to see what they change
  const flags = (process.env.SOAK_SERVICE_NODE_FLAGS ?? startScriptNodeFlags()).split(' ').filter(Boolean);
  const child = spawn(process.execPath, [...flags, '--expose-gc', SERVICE], {
    env: { ...process.env, ...env, PORT: String(port), HOST: '127.0.0.1' },
    // its request log at info goes to /dev/null, as in every bench; stderr is kept for a failure's message
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk) => {
    stderr = (stderr + chunk).slice(-8000);
  });
  const url = `http://127.0.0.1:${port}`;
  try {
    await answer(child, 'listening', 60_000);
  } catch (error) {
    child.kill('SIGKILL');
    throw new Error(`${(error as Error).message}\n${stderr}`);
  }
  return {
    url,
    pid: child.pid as number,
    async sample() {
      const reply = answer<ServiceSample>(child, 'sample', 10_000);
      child.send({ type: 'sample' });
      return reply;
    },
    async retainedHeap() {
      const reply = answer<{ heapUsedBytes: number }>(child, 'retained', 30_000);
      child.send({ type: 'retained' });
      return (await reply).heapUsedBytes;
    },
    async metrics() {
      const response = await fetch(`${url}/metrics`);
      if (response.status !== 200) throw new Error(`GET /metrics answered ${response.status}`);
      return response.text();
    },
    async heapSnapshot(file) {
      const reply = answer<{ path: string }>(child, 'heap-snapshot', 120_000);
      child.send({ type: 'heap-snapshot', path: file });
      return (await reply).path;
    },
    async stop() {
      child.kill('SIGTERM');
      const code = await exited(child);
      if (code !== 0) process.stderr.write(`service exited ${code}:\n${stderr}\n`);
      return code;
    },
  };
}

/** Run the load child; `onProgress` sees each progress line. */
export function runSoakLoad(
  options: SoakLoadOptions,
  onProgress: (progress: SoakProgress) => void = () => {},
): Promise<SoakLoadResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [LOAD, JSON.stringify(options)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let buffered = '';
    let err = '';
    let result: SoakLoadResult | undefined;
    child.stdout.on('data', (chunk) => {
      buffered += chunk;
      for (let nl = buffered.indexOf('\n'); nl >= 0; nl = buffered.indexOf('\n')) {
        const line = JSON.parse(buffered.slice(0, nl)) as { type: string } & SoakLoadResult;
        buffered = buffered.slice(nl + 1);
        if (line.type === 'progress') onProgress(line);
        else result = line;
      }
    });
    child.stderr.on('data', (chunk) => {
      err = (err + chunk).slice(-8000);
    });
    child.on('close', (code) => {
      if (code !== 0 || !result) reject(new Error(`soak load failed (${code}): ${err}`));
      else resolve(result);
    });
  });
}
