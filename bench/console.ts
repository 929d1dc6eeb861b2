/**
 * Console page load (issue 14): the server time of each console page on a
 * realistic history (bench/lib/console-seed.ts: 10 000 operations, 1 000 dead
 * letters, inbox, outbox, 5 dependencies × 60 min × 3 instances of egress
 * history, lineage) — one signed-in operator, one request at a time (closed
 * loop, keep-alive), `n` requests per page after a warm-up, pages interleaved
 * round-robin with the same-run baseline GET /v1/orders/{id} (tenant key: auth
 * plus one query). Time = request sent → complete body read, over loopback.
 * `npm run bench -- console [n=200] [scale=1]`: scale multiplies the history.
 * Target: p95 ≤ 200 ms per page; `ratio` = the slowest page's p95 ÷ the baseline's p95.
 */
import { createApiKey, createOperator } from '@steadfast/toolkit/auth';
import { createIdGenerator } from '@steadfast/toolkit/ids';
import { startBenchDatabase } from './lib/cluster.ts';
import { benchIds, seedConsoleHistory, seedCounts } from './lib/console-seed.ts';
import { report, round } from './lib/report.ts';
import { ORDER_BODY, startOrdersApi } from './lib/servers.ts';

const TARGET_P95_MS = 200;
const WARM_UP = 20;
/** a request not answered within this fails the run instead of hanging it */
const REQUEST_TIMEOUT_MS = 30_000;
const deadline = () => AbortSignal.timeout(REQUEST_TIMEOUT_MS);
/** operation 805 (7 × 115) has lineage, a timed-out and a successful payment attempt, and dead letter 115 */
const TRACED_OPERATION = 805;

interface Target {
  name: string;
  path: string;
  headers: Record<string, string>;
  /** text the page shows only when it read the seeded history (checked on the first response) */
  expect: string;
}

function percentile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? Number.NaN;
}

function cookiesOf(response: Response): string[] {
  return response.headers.getSetCookie().map((c) => c.split(';')[0] ?? '');
}

/** GET /console (sign-in cookie + CSRF field), POST the operator key: the session cookie */
async function signIn(url: string, key: string): Promise<string> {
  const page = await fetch(`${url}/console`, { redirect: 'manual', signal: deadline() });
  const csrf = /name="_csrf" value="([^"]+)"/.exec(await page.text())?.[1];
  if (page.status !== 200 || !csrf) throw new Error(`sign-in page: ${page.status}, csrf ${csrf}`);
  const response = await fetch(`${url}/console/sign-in`, {
    method: 'POST',
    redirect: 'manual',
    signal: deadline(),
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: cookiesOf(page).join('; ') },
    body: new URLSearchParams({ key, _csrf: csrf }).toString(),
  });
  await response.arrayBuffer();
  const session = cookiesOf(response).find((c) => c.startsWith('steadfast_console='));
  if (response.status !== 303 || !session) throw new Error(`sign-in: ${response.status}, no session cookie`);
  return session;
}

async function timeOnce(url: string, target: Target, check: boolean): Promise<{ ms: number; bytes: number }> {
  const started = performance.now();
  const response = await fetch(`${url}${target.path}`, {
    headers: target.headers,
    redirect: 'manual',
    signal: deadline(),
  });
  const body = await response.arrayBuffer();
  const ms = performance.now() - started;
  // a 303 here would be an expired session: a fast redirect must not pass for a fast page
  if (response.status !== 200) throw new Error(`${target.path}: ${response.status}`);
  if (check && !Buffer.from(body).toString('utf8').includes(target.expect))
    throw new Error(`${target.path} does not show ${target.expect}: not the seeded history`);
  return { ms, bytes: body.byteLength };
}

export async function run(args: string[]): Promise<void> {
  const n = Number(args[0] ?? 200);
  /** the history this many times as long (2nd argument; default 1: 10k operations, 1k dead letters) */
  const scale = Number(args[1] ?? 1);
  const seed = seedCounts(scale);
  const db = await startBenchDatabase({ poolMax: 20 });
  let api: Awaited<ReturnType<typeof startOrdersApi>> | undefined;
  try {
    const seedStarted = performance.now();
    await seedConsoleHistory(db.url, scale);
    const seedMs = performance.now() - seedStarted;
    api = await startOrdersApi(db.pool);
    const ids = createIdGenerator();
    const { operatorId } = await createOperator(db.pool, ids, { name: 'Bench operator' });
    const operatorKey = (await createApiKey(db.pool, ids, { operatorId, name: 'bench' })).apiKey;
    const session = await signIn(api.url, operatorKey);
    const created = await fetch(`${api.url}/v1/orders`, {
      method: 'POST',
      signal: deadline(),
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${api.apiKey}`,
        'idempotency-key': 'console-bench-baseline',
      },
      body: ORDER_BODY,
    });
    const orderId = ((await created.json()) as { id?: string }).id;
    if (created.status !== 201 || !orderId) throw new Error(`POST /v1/orders: ${created.status}`);

    const operator = { cookie: session };
    const traced = benchIds.operation(TRACED_OPERATION);
    const targets: Target[] = [
      {
        name: 'baseline GET /v1/orders/{id}',
        path: `/v1/orders/${orderId}`,
        headers: { authorization: `Bearer ${api.apiKey}` },
        expect: orderId,
      },
      { name: '/console/dependencies', path: '/console/dependencies', headers: operator, expect: 'web-b' },
      { name: '/console/work', path: '/console/work', headers: operator, expect: ', stuck' },
      {
        name: '/console/dead-letters',
        path: '/console/dead-letters',
        headers: operator,
        expect: benchIds.deadLetter(seed.deadLetters),
      },
      {
        name: '/console/dead-letters/{id}',
        path: `/console/dead-letters/${benchIds.deadLetter(115)}`,
        headers: operator,
        expect: 'payments partner: unexpected body',
      },
      { name: '/console/audit', path: '/console/audit', headers: operator, expect: 'dead-letter.replay' },
      {
        name: '/console/lineage?q=<operation id>',
        path: `/console/lineage?q=${traced}`,
        headers: operator,
        expect: benchIds.deadLetter(115),
      },
      {
        name: '/console/lineage?q=<request id>',
        path: `/console/lineage?q=${benchIds.requestOf(TRACED_OPERATION)}`,
        headers: operator,
        expect: benchIds.deadLetter(115),
      },
    ];
    const samples = new Map(targets.map((t) => [t.name, [] as number[]]));
    const bytes = new Map<string, number>();
    for (let i = 0; i < WARM_UP + n; i++) {
      for (const target of targets) {
        const { ms, bytes: size } = await timeOnce(api.url, target, i === 0);
        bytes.set(target.name, size);
        if (i >= WARM_UP) samples.get(target.name)?.push(ms);
      }
    }

    const figures = targets.map((t) => {
      const sorted = (samples.get(t.name) ?? []).sort((a, b) => a - b);
      return {
        page: t.name,
        p50Ms: round(percentile(sorted, 0.5), 2),
        p95Ms: round(percentile(sorted, 0.95), 2),
        p99Ms: round(percentile(sorted, 0.99), 2),
        maxMs: round(sorted.at(-1) ?? Number.NaN, 2),
        kib: round((bytes.get(t.name) ?? 0) / 1024, 1),
      };
    });
    const [baseline, ...pages] = figures;
    if (!baseline) throw new Error('no baseline');
    console.log(
      `seeded in ${Math.round(seedMs)} ms: ${seed.operations} operations (${seed.open} open, ${seed.stuck} stuck), ` +
        `${seed.deadLetters} dead letters, ${seed.inbox} inbox, ${seed.outbox} outbox, ${seed.withLineage * 2 + seed.otherRequests} lineage requests`,
    );
    console.log(`${n} requests per page after ${WARM_UP} warm-up, one at a time, interleaved`);
    for (const f of figures) {
      const verdict =
        f === baseline
          ? ''
          : `  ${round(f.p95Ms / baseline.p95Ms, 1)}x baseline p95  ${f.p95Ms <= TARGET_P95_MS ? 'ok' : 'MISSED'} (p95 ≤ ${TARGET_P95_MS} ms)`;
      console.log(
        `${f.page.padEnd(38)} p50 ${f.p50Ms} ms  p95 ${f.p95Ms} ms  p99 ${f.p99Ms} ms  ${f.kib} KiB${verdict}`,
      );
    }
    const worst = pages.reduce((a, b) => (b.p95Ms > a.p95Ms ? b : a));
    report({
      name: 'console',
      value: worst.p95Ms,
      baseline: baseline.p95Ms,
      ratio: round(worst.p95Ms / baseline.p95Ms, 2),
      unit: 'ms p95 (slowest page)',
      target: `p95 <= ${TARGET_P95_MS} ms per page`,
      slowestPage: worst.page,
      met: pages.every((p) => p.p95Ms <= TARGET_P95_MS),
      pages: pages.map((p) => ({ ...p, ratioToBaselineP95: round(p.p95Ms / baseline.p95Ms, 2) })),
      baselinePage: baseline,
      requestsPerPage: n,
      warmUp: WARM_UP,
      seed,
      scale,
      seedMs: Math.round(seedMs),
    });
  } finally {
    // also when seeding failed: no Postgres left running
    await api?.close();
    await db.close();
  }
}
