/**
 * Where the time goes: `npm run bench -- profile [target] [durationS]` runs the
 * target server in a child process under `node --cpu-prof`, loads it with
 * autocannon (50 connections), and names the top costs — self time per
 * function and per area (package, Steadfast block, Node internals, GC). The
 * bare one-INSERT route is profiled the same way in the same run, so `ratio`
 * is the target's CPU per request ÷ bare's (lower is better).
 * Targets: orders-create (default), replay, read, webhook.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { startBenchDatabase } from './lib/cluster.ts';
import { type LoadOptions, type LoadResult, load } from './lib/load.ts';
import { type ProfileSummary, summarize } from './lib/profile-summary.ts';
import { report, round } from './lib/report.ts';
import { ORDER_BODY } from './lib/servers.ts';

const TARGETS = ['orders-create', 'replay', 'read', 'webhook'];
const SECRET = `whsec_${randomBytes(24).toString('base64')}`;

interface Profiled {
  load: LoadResult;
  summary: ProfileSummary;
  file: string;
  /** the server process's user + system CPU during the measured load */
  cpuUs: number;
}

function loadFor(target: string, server: { url: string; apiKey: string; orderId: string }): LoadOptions {
  const auth = { authorization: `Bearer ${server.apiKey}` };
  const json = { 'content-type': 'application/json' };
  switch (target) {
    case 'bare':
      return { url: `${server.url}/bare`, method: 'POST', body: ORDER_BODY, headers: json };
    case 'orders-create':
      return {
        url: `${server.url}/v1/orders`,
        method: 'POST',
        body: ORDER_BODY,
        headers: { ...json, ...auth },
        uniqueIdempotencyKey: true,
      };
    case 'replay':
      return {
        url: `${server.url}/v1/orders`,
        method: 'POST',
        body: ORDER_BODY,
        headers: { ...json, ...auth, 'idempotency-key': 'profile-replay' },
      };
    case 'read':
      return { url: `${server.url}/v1/orders/${server.orderId}`, headers: auth };
    default:
      return { url: `${server.url}/webhooks/payments`, method: 'POST', webhookSecret: SECRET };
  }
}

async function profiled(
  databaseUrl: string,
  target: string,
  dir: string,
  durationS: number,
): Promise<Profiled> {
  const child = spawn(
    process.execPath,
    [
      path.join(import.meta.dirname, 'lib/profile-server.ts'),
      JSON.stringify({ databaseUrl, target, webhookSecret: SECRET, dir }),
    ],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const next = async <T>() => JSON.parse(String((await lines.next()).value)) as T;
  const server = await next<{ url: string; apiKey: string; orderId: string }>();
  const options = loadFor(target, server);
  await load({ ...options, durationS: 2 }); // warm up, outside the profile
  child.stdin.write('start\n');
  await next();
  const result = await load({ ...options, durationS });
  child.stdin.write('stop\n');
  const { file, cpuUs } = await next<{ file: string; cpuUs: number }>();
  child.stdin.end();
  if ((await exited) !== 0) throw new Error(`profiled ${target} server failed`);
  return { load: result, summary: summarize(file), file, cpuUs };
}

function print(target: string, p: Profiled): void {
  const perRequestUs = p.cpuUs / p.load.total;
  console.log(
    `\n== ${target}: ${round(p.load.requestsPerSecond, 0)} req/s, p99 ${p.load.p99Ms} ms, ` +
      `${round(perRequestUs, 0)} µs of server CPU per request (profile: ${p.file})`,
  );
  console.log('  by area:');
  for (const a of p.summary.areas.slice(0, 14))
    console.log(`    ${`${round(a.share * 100, 1)} %`.padStart(7)}  ${a.name}`);
  console.log('  by owner (native and node: time given to the nearest package or Steadfast caller):');
  for (const a of p.summary.owners.slice(0, 16))
    console.log(`    ${`${round(a.share * 100, 1)} %`.padStart(7)}  ${a.name}`);
  console.log('  by function (self time):');
  for (const f of p.summary.functions.slice(0, 18))
    console.log(`    ${`${round(f.share * 100, 1)} %`.padStart(7)}  ${f.name}`);
}

export async function run(args: string[]): Promise<void> {
  const target = args[0] ?? 'orders-create';
  if (!TARGETS.includes(target)) throw new Error(`profile target: one of ${TARGETS.join(', ')}`);
  const durationS = Number(args[1] ?? 10);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'steadfast-profile-'));
  const db = await startBenchDatabase({ poolMax: 20 });
  try {
    const bare = await profiled(db.url, 'bare', dir, durationS);
    const ours = await profiled(db.url, target, dir, durationS);
    print('bare INSERT route', bare);
    print(target, ours);
    const cpu = (p: Profiled) => p.cpuUs / p.load.total;
    report({
      name: 'profile',
      value: round(cpu(ours), 1),
      baseline: round(cpu(bare), 1),
      ratio: round(cpu(ours) / cpu(bare)),
      unit: 'µs server CPU per request',
      target: 'lower is better (names the costs; no pass/fail)',
      profiled: target,
      rps: round(ours.load.requestsPerSecond, 1),
      bareRps: round(bare.load.requestsPerSecond, 1),
      topOwners: ours.summary.owners.slice(0, 10).map((a) => [a.name, round(a.share, 3)]),
      profileDir: dir,
      durationS,
    });
  } finally {
    await db.close();
  }
}
