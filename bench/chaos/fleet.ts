/**
 * The processes of a chaos run, supervised: each is a real `steadfast <role>`
 * child process (web, worker, sandbox) that is restarted after it dies — by
 * the harness's SIGKILL or by itself (counted as a crash: a finding). A member
 * is ready when its health URL answers 200.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { CLI_PATH, childEnv, exitOf } from '../../apps/orders/src/runtime/spawn-cli.ts';

export type Role = 'web' | 'worker' | 'sandbox';

export interface Member {
  name: string;
  role: Role;
  /** the port it serves on (web: the API, worker: /healthz, sandbox: the partners) */
  port: number;
  /** kills by the harness, and exits nobody asked for */
  kills: number;
  /** exits nobody asked for, after the process had been healthy */
  crashes: number;
  /** exits before it became healthy (e.g. the database unreachable at start: exit 1, restarted) */
  failedStarts: number;
  /** the last output lines, for evidence */
  output(): string;
}

export interface Fleet {
  members: Member[];
  /** wait until every member answers its health check */
  ready(timeoutMs?: number): Promise<void>;
  /** SIGKILL `member`; the supervisor restarts it after its delay. Resolves when it is ready again. */
  kill(member: Member): Promise<{ killedAt: number; readyAt: number }>;
  stop(): Promise<void>;
}

export interface MemberSpec {
  name: string;
  role: Role;
  port: number;
  /** env beside the shared one */
  env: Record<string, string>;
  healthPath: string;
}

async function healthy(url: string): Promise<boolean> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(1000) });
    await response.body?.cancel();
    return response.status === 200;
  } catch {
    return false;
  }
}

export function createFleet(options: {
  specs: MemberSpec[];
  env: Record<string, string>;
  restartDelayMs: number;
  log: (line: string) => void;
}): Fleet {
  let stopping = false;
  const states = options.specs.map((spec) => {
    let out = '';
    let child: ChildProcess | undefined;
    let killedByUs = false;
    const member: Member = {
      name: spec.name,
      role: spec.role,
      port: spec.port,
      kills: 0,
      crashes: 0,
      failedStarts: 0,
      output: () => out,
    };
    const spawnIt = () => {
      killedByUs = false;
      const c = spawn(process.execPath, [CLI_PATH, spec.role], {
        env: childEnv({ ...options.env, ...spec.env }),
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const collect = (chunk: Buffer) => {
        out = (out + chunk.toString()).slice(-64_000);
      };
      c.stdout?.on('data', collect);
      c.stderr?.on('data', collect);
      let healthyOnce = false;
      const exited = new Promise<void>((resolve) => c.once('exit', () => resolve()));
      void (async () => {
        const url = `http://127.0.0.1:${spec.port}${spec.healthPath}`;
        while (c.exitCode === null && c.signalCode === null && !(await healthy(url)))
          await Promise.race([exited, new Promise((r) => setTimeout(r, 100))]);
        healthyOnce = c.exitCode === null && c.signalCode === null;
      })();
      c.once('exit', (code, signal) => {
        if (stopping) return;
        if (!killedByUs) {
          if (healthyOnce) member.crashes++;
          else member.failedStarts++;
          const last = out.trim().split('\n').slice(-3).join(' | ');
          options.log(`${spec.name} exited by itself (code ${code}, signal ${signal}): ${last}; restarting`);
        }
        setTimeout(() => {
          if (!stopping) spawnIt();
        }, options.restartDelayMs);
      });
      child = c;
    };
    return {
      spec,
      member,
      spawnIt,
      child: () => child,
      markKilled() {
        killedByUs = true;
      },
    };
  });

  async function waitHealthy(spec: MemberSpec, timeoutMs: number): Promise<number> {
    const deadline = performance.now() + timeoutMs;
    const url = `http://127.0.0.1:${spec.port}${spec.healthPath}`;
    while (!(await healthy(url))) {
      if (performance.now() > deadline) throw new Error(`${spec.name} not healthy within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 100));
    }
    return performance.now();
  }

  return {
    members: states.map((s) => s.member),
    async ready(timeoutMs = 60_000) {
      for (const s of states) if (!s.child()) s.spawnIt();
      try {
        await Promise.all(states.map((s) => waitHealthy(s.spec, timeoutMs)));
      } catch (error) {
        for (const s of states) options.log(`--- ${s.spec.name} output ---\n${s.member.output()}`);
        throw error;
      }
    },
    async kill(member) {
      const state = states.find((s) => s.member === member);
      const child = state?.child();
      if (!state || !child) throw new Error(`${member.name} is not running`);
      state.markKilled();
      member.kills++;
      const killedAt = performance.now();
      child.kill('SIGKILL');
      await exitOf(child);
      // the replacement: wait for the supervisor's respawn, then for its health check
      while (state.child() === child) await new Promise((r) => setTimeout(r, 20));
      const readyAt = await waitHealthy(state.spec, 60_000);
      return { killedAt, readyAt };
    },
    async stop() {
      stopping = true;
      await Promise.all(
        states.map(async (s) => {
          const child = s.child();
          if (!child || child.exitCode !== null || child.signalCode !== null) return;
          child.kill('SIGTERM');
          const timer = setTimeout(() => child.kill('SIGKILL'), 25_000);
          await exitOf(child);
          clearTimeout(timer);
        }),
      );
    },
  };
}
