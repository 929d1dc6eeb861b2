/**
 * `npm run chaos -- [flags]`: 3 web and 2 worker processes behind PgBouncer,
 * a well-behaved client, and faults meanwhile — SIGKILLed processes
 * (restarted by the harness's supervisor), one Postgres restart, partner
 * chaos, latency between the app and Postgres. Then quiescence, a
 * reconciliation, and the report; the last line is one JSON object. Exit 1
 * when anything was lost, charged twice or contradicts the partner's ledger;
 * exit 2 on bad flags. docs/chaos.md explains the report.
 */
import { machine } from '../lib/report.ts';
import { startClient } from './client.ts';
import { parseFlags, usage } from './flags.ts';
import { exitCode, type FaultWindow, latencySplit, recoveryS, table } from './report.ts';
import { type FaultEvent, partnerChaosConfig, planFaults } from './schedule.ts';
import { type Stack, startStack } from './stack.ts';
import { verify } from './verify.ts';

const log = (line: string) => process.stderr.write(`chaos: ${line}\n`);

async function putChaos(stack: Stack, body: unknown | undefined): Promise<void> {
  const response = await fetch(`${stack.sandboxUrl}/payments/_chaos`, {
    method: body === undefined ? 'DELETE' : 'PUT',
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`sandbox chaos ${response.status}: ${text}`);
}

/** Runs one fault event at its time; resolves with its window once it is over. */
async function inject(stack: Stack, event: FaultEvent, t0: number, chaos: unknown): Promise<FaultWindow> {
  const at = (s: number) => t0 + s * 1000;
  const sleepUntil = (t: number) => new Promise((r) => setTimeout(r, Math.max(0, t - performance.now())));
  await sleepUntil(at(event.atS));
  const startAt = performance.now();
  if (event.kind === 'kill') {
    const member = stack.fleet.members.find((m) => m.name === event.target)!;
    const { killedAt, readyAt } = await stack.fleet.kill(member);
    log(`SIGKILL ${member.name}; replacement ready after ${((readyAt - killedAt) / 1000).toFixed(1)} s`);
    return { kind: 'kill', detail: member.name, startAt: killedAt, endAt: readyAt, clearedAt: killedAt };
  }
  if (event.kind === 'pg-restart') {
    await stack.drill!.cluster.pgCtl(['restart', '-m', event.mode, '-w', '-t', '60']);
    const back = performance.now();
    log(`pg_ctl restart -m ${event.mode}: ${((back - startAt) / 1000).toFixed(1)} s`);
    return { kind: 'pg-restart', detail: `-m ${event.mode}`, startAt, endAt: back, clearedAt: back };
  }
  if (event.kind === 'partner-chaos') {
    await putChaos(stack, chaos);
    log('partner chaos on');
    await sleepUntil(at(event.untilS));
    await putChaos(stack, undefined);
    log('partner chaos off');
    return {
      kind: 'partner-chaos',
      detail: 'payments',
      startAt,
      endAt: performance.now(),
      clearedAt: performance.now(),
    };
  }
  stack.proxy.setDelayMs(event.delayMs);
  log(`database latency ${event.delayMs} ms per packet`);
  await sleepUntil(at(event.untilS));
  stack.proxy.setDelayMs(0);
  log('database latency off');
  const end = performance.now();
  return { kind: 'db-latency', detail: `${event.delayMs} ms`, startAt, endAt: end, clearedAt: end };
}

async function main(): Promise<number> {
  const parsed = parseFlags(process.argv.slice(2));
  if (!parsed.ok) {
    if (parsed.help) {
      process.stdout.write(usage());
      return 0;
    }
    process.stderr.write(`chaos: ${parsed.error}\n${usage()}`);
    return 2;
  }
  const flags = parsed.flags;
  const databaseUrl = process.env.DATABASE_URL || undefined;
  log(
    `starting: ${flags.webs} web, ${flags.workers} worker, ${databaseUrl ? 'DATABASE_URL' : 'a drill cluster'}`,
  );
  const stack = await startStack({ ...flags, databaseUrl, log });
  try {
    const targets = stack.fleet.members.filter((m) => m.role !== 'sandbox').map((m) => m.name);
    const events = planFaults(flags, targets, stack.drill !== undefined);
    log(`running ${flags.durationS} s with ${events.length} faults`);
    const t0 = performance.now();
    const client = startClient({
      ...stack,
      clients: flags.clients,
      preferWait: flags.preferWait,
      prefix: `chaos-${Date.now()}`,
    });
    const chaos = partnerChaosConfig(flags);
    // kills run one after another (a supervisor restarts one at a time); the other faults overlap them
    const kills = events.filter((e) => e.kind === 'kill');
    const killWindows = (async () => {
      const out: FaultWindow[] = [];
      for (const e of kills) out.push(await inject(stack, e, t0, chaos));
      return out;
    })();
    const others = Promise.all(
      events.filter((e) => e.kind !== 'kill').map((e) => inject(stack, e, t0, chaos)),
    );
    await new Promise((r) => setTimeout(r, flags.durationS * 1000));
    const windows = [...(await killWindows), ...(await others)].sort((a, b) => a.startAt - b.startAt);
    log(`faults over after ${((performance.now() - t0) / 1000).toFixed(1)} s; stopping the client`);
    const load = await client.stop();
    const loadS = (performance.now() - t0) / 1000;
    log(`load stopped after ${loadS.toFixed(1)} s; waiting for quiescence`);
    const result = await verify(stack, load, { settleTimeoutMs: 180_000, log });
    const lost = result.loss.missingOrders.length + result.loss.unfinished.length;
    const verdict = {
      lost,
      doubleCharges: result.doubleCharged.length,
      mismatched: result.mismatches.length,
    };
    const latency = latencySplit(load.attempts, windows);
    const recoveries = windows.map((w) => ({
      fault: `${w.kind} ${w.detail}`,
      atS: Math.round((w.startAt - t0) / 100) / 10,
      recoveryS: recoveryS(load.attempts, w.clearedAt),
      ...(w.kind === 'kill' ? { replacementReadyS: Math.round(w.endAt - w.startAt) / 1000 } : {}),
    }));
    const crashes = stack.fleet.members.reduce((n, m) => n + m.crashes, 0);
    const failedStarts = stack.fleet.members.reduce((n, m) => n + m.failedStarts, 0);
    process.stdout.write(
      `${table([
        ['requests (attempts)', load.attempts.length],
        ['answers by status', JSON.stringify(load.statuses)],
        ['acknowledged creates', load.created.length],
        ['acknowledged pays', load.paid.length],
        ['lost (must be 0)', lost],
        ['double charges (must be 0)', verdict.doubleCharges],
        ['orders ≠ ledger (must be 0)', verdict.mismatched],
        ['4xx the client gave up on', load.rejected.length],
        [
          'processes killed / crashed / failed starts',
          `${windows.filter((w) => w.kind === 'kill').length} / ${crashes} / ${failedStarts}`,
        ],
        [
          'p50 / p99 during faults (ms)',
          `${latency.during.p50Ms} / ${latency.during.p99Ms} (n ${latency.during.n})`,
        ],
        [
          'p50 / p99 outside faults (ms)',
          `${latency.outside.p50Ms} / ${latency.outside.p99Ms} (n ${latency.outside.n})`,
        ],
        ['quiescence (s)', Math.round(result.quiescenceS * 10) / 10],
        ['reconciliation', result.reconciliation],
        ...recoveries.map((r): [string, string] => [
          `recovery: ${r.fault} @${r.atS}s`,
          `${r.recoveryS ?? 'never'} s${'replacementReadyS' in r ? ` (replacement ready ${r.replacementReadyS} s)` : ''}`,
        ]),
      ])}\n`,
    );
    for (const e of load.serverErrors.filter((x) => x.status === 500).slice(0, 3)) {
      const requestId = /"requestId":"([^"]+)"/.exec(e.body)?.[1] ?? '?';
      const lines = stack.fleet.members.flatMap((m) =>
        m
          .output()
          .split('\n')
          .filter((l) => l.includes(requestId)),
      );
      log(
        `500 on ${e.step} (${requestId}); the web's log: ${lines.join(' | ').slice(0, 1500) || '(not in the kept output)'}`,
      );
    }
    if (load.rejected.length) log(`rejected: ${JSON.stringify(load.rejected.slice(0, 5))}`);
    if (lost)
      log(
        `lost: ${JSON.stringify({ missing: result.loss.missingOrders, unfinished: result.loss.unfinished })}`,
      );
    if (verdict.doubleCharges) log(`double charged: ${JSON.stringify(result.doubleCharged)}`);
    if (verdict.mismatched) log(`mismatched: ${JSON.stringify(result.mismatches.slice(0, 20))}`);
    const code = exitCode(verdict);
    process.stdout.write(
      `${JSON.stringify({
        name: 'chaos',
        ...verdict,
        ok: code === 0,
        durationS: flags.durationS,
        requests: load.attempts.length,
        // over the run itself, not the drain after it
        requestsPerS: Math.round(
          load.attempts.filter((a) => a.startedAt <= t0 + flags.durationS * 1000).length / flags.durationS,
        ),
        acknowledgedCreates: load.created.length,
        acknowledgedPays: load.paid.length,
        rejected4xx: load.rejected.length,
        crashes,
        failedStarts,
        statuses: load.statuses,
        latency,
        recoveries,
        quiescenceS: Math.round(result.quiescenceS * 10) / 10,
        flags,
        machine: machine(),
      })}\n`,
    );
    return code;
  } finally {
    await stack.stop();
  }
}

main().then(
  (code) => process.exit(code),
  (error) => {
    log(`failed: ${(error as Error).stack ?? error}`);
    process.exit(3);
  },
);
