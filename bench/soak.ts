/**
 * Soak: `npm run bench -- soak [seconds | --quick] [--heap-snapshots]` (default
 * 600 s; --quick = 60 s). The service is `steadfast start` in a child process
 * (API + worker + reapers, production configuration; soak-service.ts), so the
 * RSS sampled is the service's alone — the load (soak-load-child.ts), the
 * sandbox partners (this process, their own port) and Postgres are elsewhere.
 * First a closed-loop run of the mix measures capacity; then the mix runs
 * open-loop at 70 % of it. Every 10 s: the service's RSS, heap used and
 * event-loop delay p99, requests done, errors, rows of the reaped tables.
 * Target: 0 errors, RSS <= 200 MB and flat (slope after warm-up reported),
 * idempotency keys and handled inbox rows reaped (short retention for the run).
 * Heap used after a full GC (before and after the soak) tells a leak from V8
 * merely growing its heap; `--heap-snapshots` writes one at each of those points.
 * LOAD_SHEDDING=off (passed on to the service) separates shedding from other errors;
 * The service gets the V8 flags of `npm start` (`--max-semi-space-size=16`: Node's default young
 * generation on a large machine let RSS reach ~380 MB with 40 MB live); SOAK_SERVICE_NODE_FLAGS
 * replaces them ("" for Node's defaults).
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '@steadfast/toolkit/testing';
import { startBenchDatabase } from './lib/cluster.ts';
import { report, round } from './lib/report.ts';
import { addBenchTenant, startPartners } from './lib/servers.ts';
import type { SoakLoadOptions } from './lib/soak-load-child.ts';
import { runSoakLoad, startScriptNodeFlags, startServiceProcess } from './lib/soak-processes.ts';
import { createSampler, type Sample } from './lib/soak-sampler.ts';
import type { ServiceSample } from './lib/soak-service.ts';
import { formatTables, mb, metricSum, slope, tableFigures } from './lib/soak-stats.ts';

const SAMPLE_EVERY_MS = 10_000;
const RSS_LIMIT_MB = 200;
/** below the variables' 60 s minimum on purpose: rows expire and are reaped within a 60 s soak */
const RETENTION_S = 20;
const LOAD_FRACTION = 0.7;
const CAPACITY_CONCURRENCY = 32;

function memoryLine(s: ServiceSample): string {
  const spaces = Object.entries(s.heapSpaces)
    .filter(([, bytes]) => bytes >= 2 ** 20)
    .map(([name, bytes]) => `${name.replace(/_space$/, '')} ${mb(bytes)}`)
    .join(', ');
  return `rss ${mb(s.rssBytes)} MB = heap total ${mb(s.heapTotalBytes)} (used ${mb(s.heapUsedBytes)}: ${spaces}) + external ${mb(s.externalBytes)} (array buffers ${mb(s.arrayBuffersBytes)}) + the rest (code, native) MB`;
}

function parseArgs(args: string[]) {
  const quick = args.includes('--quick');
  const seconds = args.find((a) => /^\d+$/.test(a));
  const durationS = seconds ? Number(seconds) : quick ? 60 : 600;
  if (durationS < 30) throw new Error('soak: give at least 30 seconds');
  return { durationS, heapSnapshots: args.includes('--heap-snapshots') };
}

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`soak: ${what} not reached within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

export async function run(args: string[]): Promise<void> {
  const { durationS, heapSnapshots } = parseArgs(args);
  // slope after the warm-up (JIT, pools, caches filled): 10 s of a 60 s run, 60 s of a 10 min one
  const warmupS = Math.max(10, Math.min(60, Math.round(durationS * 0.15)));
  const db = await startBenchDatabase({ poolMax: 4 });
  const partners = await startPartners();
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'steadfast-soak-'));
  const secret = `whsec_${randomBytes(24).toString('base64')}`;
  const apiKey = await addBenchTenant(db.pool, 'soak');
  const service = await startServiceProcess(
    {
      STEADFAST_ENV: 'production',
      DATABASE_URL: db.url,
      STEADFAST_HOME: home,
      SANDBOX_PORT: '0',
      PAYMENTS_URL: partners.urls.paymentsUrl,
      MESSAGING_URL: partners.urls.messagingUrl,
      PRICING_URL: partners.urls.pricingUrl,
      ANALYTICS_URL: partners.urls.analyticsUrl,
      RECOMMENDATIONS_URL: partners.urls.recommendationsUrl,
      PAYMENTS_WEBHOOK_SECRET: secret,
      LOG_LEVEL: 'info',
      // the limiter runs (and syncs through Postgres) but one bench tenant is never refused
      RATE_LIMIT_WRITES: '1000000',
      RATE_LIMIT_READS: '1000000',
      SOAK_RETENTION_S: String(RETENTION_S),
    },
    await freePort(),
  );
  const loadOptions = (o: Partial<SoakLoadOptions>): SoakLoadOptions => ({
    origin: service.url,
    apiKey,
    webhookSecret: secret,
    sandboxOrigin: partners.base,
    mode: 'closed',
    concurrency: CAPACITY_CONCURRENCY,
    ratePerS: 0,
    durationS: 5,
    connections: 64,
    maxOutstanding: 2000,
    progressEveryMs: 1000,
    ...o,
  });
  let stopped = false;
  try {
    await waitFor('/readyz 200', async () => (await fetch(`${service.url}/readyz`)).status === 200, 30_000);
    const flags = process.env.SOAK_SERVICE_NODE_FLAGS ?? startScriptNodeFlags();
    console.log(`service node flags: ${flags || '(none: Node defaults)'}`);
    console.log(`service idle after start: ${memoryLine(await service.sample())}`);
    // capacity: a short closed-loop run of the same mix, after a warm-up of the same length
    const warm = await runSoakLoad(loadOptions({ durationS: 3 }));
    const measured = await runSoakLoad(loadOptions({ durationS: durationS >= 300 ? 10 : 5 }));
    const capacity = measured.operations / measured.elapsedS;
    const ratePerS = Math.max(1, Math.round(capacity * LOAD_FRACTION));
    console.log(
      `capacity (closed loop, ${CAPACITY_CONCURRENCY} loops, ${round(measured.elapsedS, 1)} s): ${round(capacity, 1)} operations/s = ${round(measured.requests / measured.elapsedS, 1)} requests/s; soak at ${ratePerS} operations/s for ${durationS} s`,
    );
    // outside the open loop (a full GC or a snapshot stalls the service): warm, before; drained, after
    const snapshots: string[] = [];
    const snapshot = async (name: string) => {
      if (heapSnapshots) snapshots.push(await service.heapSnapshot(path.join(home, `${name}.heapsnapshot`)));
    };
    const retainedStart = await service.retainedHeap();
    await snapshot('start');
    const tablesStart = await tableFigures(db.pool);
    const metricsStart = await service.metrics();
    const sampler = createSampler({ service, pool: db.pool, everyMs: SAMPLE_EVERY_MS });
    await sampler.start();
    const soak = await runSoakLoad(loadOptions({ mode: 'open', ratePerS, durationS }), sampler.progress);
    await sampler.stop(soak);
    // the work the soak left (payments in flight, deliveries not yet handled) drains
    await waitFor(
      'payments settled and the inbox drained',
      async () => {
        const { rows } = await db.pool.query<{ n: number }>(
          `SELECT (SELECT count(*)::int FROM orders WHERE status = 'payment_pending')
                + (SELECT count(*)::int FROM webhook_inbox WHERE status = 'received') AS n`,
        );
        return rows[0].n === 0;
      },
      60_000,
    );
    const retainedEnd = await service.retainedHeap();
    await snapshot('end');
    await new Promise((r) => setTimeout(r, 1500)); // pg_stat counters of idle backends are flushed
    const tablesEnd = await tableFigures(db.pool);
    const metricsEnd = await service.metrics();
    const grew = (name: string) => metricSum(metricsEnd, name) - metricSum(metricsStart, name);

    const samples = sampler.samples;
    const after = samples.filter((s) => s.atS >= warmupS - 0.5);
    const baselineRss = mb(after[0]?.service.rssBytes ?? samples[0].service.rssBytes);
    const rssMax = Math.max(...samples.map((s) => mb(s.service.rssBytes)));
    const perMin = (f: (s: Sample) => number) =>
      slope(after.map((s) => ({ x: s.atS / 60, y: f(s) / 2 ** 20 })));
    const rssSlope = perMin((s) => s.service.rssBytes);
    const heapSlope = perMin((s) => s.service.heapUsedBytes);
    const retainedPerMin = (mb(retainedEnd) - mb(retainedStart)) / (soak.elapsedS / 60);
    const loopP99Max = Math.max(...samples.slice(1).map((s) => s.service.eventLoopDelayP99Ms));
    const achieved = soak.operations / soak.elapsedS;
    const errors = warm.errors + measured.errors + soak.errors;
    const backgroundErrors = grew('steadfast_background_errors_total');
    const keysDeleted = tablesEnd.idempotency_keys.deleted;
    const inboxDeleted = tablesEnd.webhook_inbox.deleted;

    console.log(`\ntables at the soak's start → end (retention ${RETENTION_S} s; reapers every 60 s):`);
    console.log(formatTables(tablesStart, tablesEnd));
    console.log('\nrequests during the soak (open loop):');
    for (const [kind, f] of Object.entries(soak.byRequest))
      console.log(`  ${kind.padEnd(8)} ${String(f.count).padStart(7)}  p50 ${f.p50Ms} ms  p99 ${f.p99Ms} ms`);
    console.log(
      `webhook deliveries for real charges ${soak.webhooksForRealCharges}; operations ${soak.operations} (${round(achieved, 1)}/s of ${ratePerS}/s offered, ${round(achieved / capacity, 3)}× capacity); dropped ${soak.dropped}`,
    );
    console.log(
      `RSS max ${rssMax} MB (after warm-up ${baselineRss} MB), slope after ${warmupS} s ${round(rssSlope, 2)} MB/min (heap used ${round(heapSlope, 2)} MB/min); event-loop delay p99 max ${round(loopP99Max, 1)} ms`,
    );
    console.log(
      `heap retained after a full GC: ${mb(retainedStart)} MB before the soak → ${mb(retainedEnd)} MB after (${round(retainedPerMin, 2)} MB/min)`,
    );
    console.log(`service at the end: ${memoryLine(samples[samples.length - 1].service)}`);
    console.log(
      `reaped: ${keysDeleted} idempotency keys (reaper metric +${grew('steadfast_idempotency_reaped_total')}), ${inboxDeleted} inbox rows; shed ${grew('steadfast_shed_requests_total')}; job retries +${grew('steadfast_job_retries_total')}; background errors +${backgroundErrors}`,
    );
    if (snapshots.length) console.log(`heap snapshots: ${snapshots.join(', ')}`);
    if (errors) {
      const samplesOfErrors = [...warm.errorSamples, ...measured.errorSamples, ...soak.errorSamples];
      console.log(`errors (${errors}), first ones:\n  ${samplesOfErrors.slice(0, 20).join('\n  ')}`);
    }
    stopped = true;
    const exitCode = await service.stop();
    report({
      name: 'soak',
      value: rssMax,
      baseline: baselineRss,
      serviceNodeFlags: process.env.SOAK_SERVICE_NODE_FLAGS ?? startScriptNodeFlags(),
      ratio: round(rssMax / baselineRss),
      unit: 'MB RSS of the service (max vs after warm-up)',
      target: `RSS <= ${RSS_LIMIT_MB} MB and flat, 0 errors`,
      rssSlopeMbPerMin: round(rssSlope, 2),
      heapSlopeMbPerMin: round(heapSlope, 2),
      retainedHeapStartMb: mb(retainedStart),
      retainedHeapEndMb: mb(retainedEnd),
      eventLoopDelayP99MaxMs: round(loopP99Max, 1),
      errors,
      backgroundErrors,
      capacityOpsPerS: round(capacity, 1),
      offeredOpsPerS: ratePerS,
      achievedOpsPerS: round(achieved, 1),
      rateRatio: round(achieved / capacity),
      requests: soak.requests,
      reapedIdempotencyKeys: keysDeleted,
      reapedInboxRows: inboxDeleted,
      idempotencyKeysRowsEnd: tablesEnd.idempotency_keys.rows,
      inboxRowsEnd: tablesEnd.webhook_inbox.rows,
      serviceExitCode: exitCode,
      durationS,
      warmupS,
    });
    if (errors) throw new Error(`soak: ${errors} errors (expected 0)`);
    if (backgroundErrors)
      throw new Error(`soak: ${backgroundErrors} background errors (expected 0; see the service log)`);
    if (rssMax > RSS_LIMIT_MB) throw new Error(`soak: RSS reached ${rssMax} MB (limit ${RSS_LIMIT_MB} MB)`);
  } finally {
    if (!stopped) await service.stop();
    await partners.close();
    await db.close();
    if (heapSnapshots) console.error(`heap snapshots kept in ${home}`);
    else fs.rmSync(home, { recursive: true, force: true });
  }
}
