/**
 * Time from process start to `/readyz` = 200 on a second start of an existing
 * STEADFAST_HOME (cluster initialised, migrations applied). The baseline is
 * the bare cost of starting Node 24 on a script that exits at once.
 * Target: ≤ 3 s.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { CLI_PATH, childEnv, exitOf, makeHome, startCli } from '@steadfast/orders/spawn-cli';
import { freePort } from '@steadfast/toolkit/testing';
import { median, report, round } from './lib/report.ts';

async function timeToReady(env: Record<string, string>, port: number): Promise<number> {
  const started = performance.now();
  const child = spawn(process.execPath, [CLI_PATH, 'start'], { env: childEnv(env), stdio: 'ignore' });
  try {
    for (;;) {
      try {
        const response = await fetch(`http://127.0.0.1:${port}/readyz`);
        if (response.status === 200) return performance.now() - started;
      } catch {
        // not listening yet
      }
      if (child.exitCode !== null) throw new Error(`start exited with ${child.exitCode}`);
      if (performance.now() - started > 30_000) throw new Error('not ready within 30 s');
      await new Promise((r) => setTimeout(r, 10));
    }
  } finally {
    child.kill('SIGTERM');
    await exitOf(child);
  }
}

async function bareNode(): Promise<number> {
  const started = performance.now();
  const child = spawn(process.execPath, ['-e', '0'], { stdio: 'ignore' });
  await exitOf(child);
  return performance.now() - started;
}

export async function run(): Promise<void> {
  const home = makeHome();
  const port = await freePort();
  const env = { STEADFAST_HOME: home, PORT: String(port), LOG_LEVEL: 'warn' };
  try {
    const first = await startCli(env); // initialises the cluster and migrates
    await first.stop();
    const samples: number[] = [];
    for (let i = 0; i < 5; i++) samples.push(await timeToReady(env, port));
    const baselines: number[] = [];
    for (let i = 0; i < 5; i++) baselines.push(await bareNode());
    const value = median(samples);
    const baseline = median(baselines);
    console.log(
      `second start → /readyz 200: ${samples.map((s) => Math.round(s)).join(', ')} ms (median ${Math.round(value)})`,
    );
    console.log(`bare node -e 0:             ${baselines.map((s) => Math.round(s)).join(', ')} ms`);
    report({
      name: 'startup',
      value: round(value / 1000, 3),
      baseline: round(baseline / 1000, 3),
      ratio: round(value / baseline, 2),
      unit: 's',
      target: 'value <= 3 s',
      samples: samples.map((s) => round(s / 1000, 3)),
    });
  } finally {
    fs.rmSync(home, { recursive: true, force: true });
  }
}
