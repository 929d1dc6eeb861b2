/**
 * Overload: POST /v1/orders offered at 3× its measured capacity, with load
 * shedding on vs off, same run, same database (production settings).
 *
 * 1. capacity C: the shedding-off API driven closed-loop by autocannon (50 connections);
 * 2. the 70 % reference: open-loop load at 0.7 × C on the shedding-on API — its p99;
 * 3. overload: open-loop load at 3 × C for `durationS` on each arm. Open loop means
 *    requests start on schedule whether or not earlier ones answered, like a crowd of
 *    clients; latency counts from the scheduled start.
 *
 * `npm run bench -- overload [durationS] [--watch]` (--watch: limit, in flight, server CPU and event-loop delay each second).
 *
 * Targets (issue 20): goodput (2xx/s) with shedding ≥ 0.9 × C; p99 of admitted
 * requests ≤ 2 × the 70 % p99; rejections (503 overloaded) answered in < 5 ms p99.
 * Rate limits are off in both arms: one tenant sends everything, and this measures
 * the door, not the tenant's quota.
 */
import { readFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { startBenchDatabase } from './lib/cluster.ts';
import { combine, load } from './lib/load.ts';
import { goodput, type OpenLoopResult, openLoop } from './lib/open-loop.ts';
import { report, round } from './lib/report.ts';
import { ORDER_BODY, startOrdersApi } from './lib/servers.ts';

function describe(name: string, r: OpenLoopResult): void {
  const parts = Object.entries(r.statuses)
    .filter(([status]) => status !== '2xx')
    .map(([status, f]) => `${status}×${f.count} (p50 ${f.p50Ms} / p99 ${f.p99Ms} ms)`);
  console.log(
    `${name.padEnd(34)} goodput ${round(goodput(r), 0)}/s  sent ${r.sent}  dropped ${r.dropped}  errors ${r.errors}  ${parts.join('  ')}`,
  );
}

export async function run(args: string[]): Promise<void> {
  const watching = args.includes('--watch');
  const durationS = Math.max(10, Number(args.find((a) => !a.startsWith('--')) ?? 10));
  const db = await startBenchDatabase({ poolMax: 20 });
  const shedding = await startOrdersApi(db.pool, { traffic: { rateLimits: false, loadShedding: true } });
  const open = await startOrdersApi(db.pool, { traffic: { rateLimits: false, loadShedding: false } });
  const request = (api: typeof shedding) => ({
    url: `${api.url}/v1/orders`,
    method: 'POST' as const,
    body: ORDER_BODY,
    headers: { 'content-type': 'application/json', authorization: `Bearer ${api.apiKey}` },
    uniqueIdempotencyKey: true,
  });
  try {
    await load({ ...request(open), durationS: 2 }); // warm up both
    await load({ ...request(shedding), durationS: 2 });
    const capacity = combine([
      await load({ ...request(open), durationS: 5 }),
      await load({ ...request(open), durationS: 5 }),
    ]).requestsPerSecond;
    console.log(`capacity (closed loop, 50 connections, shedding off): ${round(capacity, 0)} req/s`);
    const reference = await openLoop({ ...request(shedding), ratePerS: 0.7 * capacity, durationS: 10 });
    describe('70 % load, shedding on', reference);
    const rate = 3 * capacity;
    // --watch: the limit, in flight, this process's CPU and event-loop delay, each second of the overload
    const loopDelay = monitorEventLoopDelay({ resolution: 5 });
    let cpuBefore = process.cpuUsage();
    // the whole machine's busy time (Linux /proc/stat, in ticks of 10 ms): the client and Postgres share the cores
    const machineBusy = async () => {
      const line = (await readFile('/proc/stat', 'utf8').catch(() => 'cpu 0 0 0 0 0 0 0 0')).split('\n')[0];
      // user nice system idle iowait irq softirq steal
      const [user, nice, system, , , irq, softirq, steal] = line.split(/\s+/).slice(1).map(Number);
      return user + nice + system + (irq || 0) + (softirq || 0) + (steal || 0);
    };
    let machineBefore = await machineBusy();
    const sample = async () => {
      const cpu = process.cpuUsage(cpuBefore);
      cpuBefore = process.cpuUsage();
      const machine = await machineBusy();
      const machinePercent = machine - machineBefore;
      machineBefore = machine;
      const delayMs = round(loopDelay.percentile(99) / 1e6, 0);
      loopDelay.reset();
      const text = await (await fetch(`${shedding.url}/metrics`)).text();
      const pick = (name: string) =>
        text
          .split('\n')
          .find((l) => l.startsWith(name))
          ?.split(' ')[1];
      console.log(
        `limit ${pick('steadfast_concurrency_limit')}  in flight ${pick('steadfast_inflight_requests')}  ` +
          `server process CPU ${Math.round((cpu.user + cpu.system) / 10_000)} %  event-loop delay p99 ${delayMs} ms  ` +
          `machine busy ${machinePercent} % (of ${availableParallelism() * 100})`,
      );
    };
    // both arms run in this process: the sample covers whichever is under load
    const watched = async <T>(work: () => Promise<T>): Promise<T> => {
      if (!watching) return work();
      machineBefore = await machineBusy();
      cpuBefore = process.cpuUsage();
      loopDelay.enable();
      const watch = setInterval(
        () => sample().catch((error: Error) => console.log(`--watch: ${error.message}`)),
        1000,
      );
      try {
        return await work();
      } finally {
        clearInterval(watch);
        loopDelay.disable();
      }
    };
    const on = await watched(() => openLoop({ ...request(shedding), ratePerS: rate, durationS }));
    describe('3× load, shedding on', on);
    const off = await watched(() => openLoop({ ...request(open), ratePerS: rate, durationS }));
    describe('3× load, shedding off', off);
    const referenceP99 = reference.statuses['2xx']?.p99Ms ?? 0;
    const admittedP99 = on.statuses['2xx']?.p99Ms ?? 0;
    const rejectedP99 = on.statuses['503']?.p99Ms ?? 0;
    const unexpected = Object.keys(on.statuses).filter(
      (s) => s !== '2xx' && s !== '503' && !s.startsWith('2'),
    );
    if (unexpected.length) console.log(`unexpected statuses with shedding on: ${unexpected.join(', ')}`);
    report({
      name: 'overload',
      value: round(goodput(on), 1),
      baseline: round(capacity, 1),
      ratio: round(goodput(on) / capacity),
      unit: '2xx/s at 3× capacity, shedding on ÷ capacity',
      target: '>= 0.9; admitted p99 <= 2 × p99 at 70 %; rejected p99 < 5 ms',
      offeredPerS: round(rate, 0),
      sheddingOffGoodput: round(goodput(off), 1),
      sheddingOffRatio: round(goodput(off) / capacity),
      admittedP99Ms: admittedP99,
      referenceP99Ms: referenceP99,
      admittedP99Ratio: referenceP99 ? round(admittedP99 / referenceP99) : null,
      rejectedP99Ms: rejectedP99,
      rejected: on.statuses['503']?.count ?? 0,
      sheddingOffP99Ms: off.statuses['2xx']?.p99Ms ?? 0,
      sheddingOffDropped: off.dropped,
      durationS,
    });
  } finally {
    await shedding.close();
    await open.close();
    await db.close();
  }
}
