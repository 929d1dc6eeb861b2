/**
 * Trace overhead: POST /v1/orders (prices from the sandbox's pricing partner,
 * so each request has its SERVER span and, on a cache miss, CLIENT spans)
 * with tracing on — the OTLP/HTTP exporter and batch span processor sending
 * to a local no-op collector (an HTTP server that answers 200) — vs tracing
 * off, same process, same database, alternating rounds (2 of each), autocannon
 * with 50 connections. `ratio` = on ÷ off; target ≥ 0.9.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { buildApp } from '@steadfast/orders/app';
import { appMigrations } from '@steadfast/orders/migrations';
import { createTenant } from '@steadfast/toolkit/auth';
import { createIdGenerator } from '@steadfast/toolkit/ids';
import {
  createLogDestination,
  createLogger,
  startTracing,
  type Tracer,
} from '@steadfast/toolkit/observability';
import type { Pool } from '@steadfast/toolkit/postgres';
import { startBenchDatabase } from './lib/cluster.ts';
import { combine, type LoadOptions, type LoadResult, load } from './lib/load.ts';
import { report, round } from './lib/report.ts';
import { ORDER_BODY, startPartners } from './lib/servers.ts';

function line(name: string, r: LoadResult): void {
  console.log(
    `${name.padEnd(40)} ${round(r.requestsPerSecond, 0)} req/s  p50 ${r.p50Ms} ms  p99 ${r.p99Ms} ms  non-2xx ${r.non2xx}`,
  );
}

/** The OTLP/HTTP endpoint that accepts everything and keeps nothing; counts what it was sent. */
async function startNoopCollector() {
  let exports = 0;
  let bytes = 0;
  const server = createServer((request, response) => {
    request.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
    });
    request.on('end', () => {
      exports++;
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/traces`,
    stats: () => ({ exports, bytes }),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

async function startApi(pool: Pool, partners: Awaited<ReturnType<typeof startPartners>>, tracer?: Tracer) {
  const ids = createIdGenerator();
  const tenant = await createTenant(pool, ids, { name: 'bench' });
  const logger = createLogger({
    level: 'info',
    destination: createLogDestination({ dest: '/dev/null' }),
    traceIds: tracer !== undefined,
  });
  const app = await buildApp({
    db: pool,
    logger,
    ids,
    migrations: appMigrations(),
    partners: { urls: partners.urls },
    tracer,
  });
  const url = await app.server.listen({ port: 0, host: '127.0.0.1' });
  return { url, apiKey: tenant.apiKey, close: () => app.server.close() };
}

export async function run(args: string[]): Promise<void> {
  const durationS = Number(args[0] ?? 10);
  const db = await startBenchDatabase({ poolMax: 20 });
  const partners = await startPartners();
  const collector = await startNoopCollector();
  const tracing = await startTracing({ serviceName: 'steadfast-bench', url: collector.url });
  const off = await startApi(db.pool, partners);
  const on = await startApi(db.pool, partners, tracing.tracer);
  const arm = (api: { url: string; apiKey: string }): LoadOptions => ({
    url: `${api.url}/v1/orders`,
    method: 'POST',
    body: ORDER_BODY,
    headers: {
      'content-type': 'application/json',
      authorization: `Bearer ${api.apiKey}`,
      traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
    },
    uniqueIdempotencyKey: true,
  });
  try {
    for (const api of [off, on]) await load({ ...arm(api), durationS: 2 }); // warm up
    const runs: { off: LoadResult[]; on: LoadResult[] } = { off: [], on: [] };
    for (let i = 0; i < 2; i++) {
      runs.off.push(await load({ ...arm(off), durationS }));
      runs.on.push(await load({ ...arm(on), durationS }));
    }
    await tracing.flush();
    const [o, t] = [combine(runs.off), combine(runs.on)];
    line('tracing off', o);
    line('tracing on (OTLP/HTTP, no-op collector)', t);
    const { exports, bytes } = collector.stats();
    console.log(`collector: ${exports} exports, ${round(bytes / 1e6, 1)} MB`);
    if (o.non2xx || t.non2xx) throw new Error('non-2xx responses during the benchmark');
    if (exports === 0) throw new Error('tracing on exported nothing');
    report({
      name: 'tracing',
      value: round(t.requestsPerSecond, 1),
      baseline: round(o.requestsPerSecond, 1),
      ratio: round(t.requestsPerSecond / o.requestsPerSecond),
      unit: 'req/s',
      target: '>= 0.9',
      p99Ms: t.p99Ms,
      baselineP99Ms: o.p99Ms,
      exports,
      exportedMB: round(bytes / 1e6, 1),
      connections: 50,
      durationS,
      rounds: 2,
    });
  } finally {
    await off.close();
    await on.close();
    await tracing.shutdown();
    await collector.close();
    await partners.close();
    await db.close();
  }
}
