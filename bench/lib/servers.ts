/** The servers benchmarks compare: the full Orders API, and a bare Fastify route doing one INSERT. */
import { randomUUID } from 'node:crypto';
import { pinNewTenant } from '@steadfast/orders/api-version-pins';
import { NEWEST_VERSION } from '@steadfast/orders/api-versions';
import { buildApp } from '@steadfast/orders/app';
import { trafficConfig } from '@steadfast/orders/config-traffic';
import { appMigrations } from '@steadfast/orders/migrations';
import type { PartnerTuning, PartnerUrls } from '@steadfast/orders/partners';
import type { TrafficOptions } from '@steadfast/orders/traffic';
import { startSandbox } from '@steadfast/sandbox';
import { createTenant } from '@steadfast/toolkit/auth';
import { createIdGenerator } from '@steadfast/toolkit/ids';
import { createLogDestination, createLogger } from '@steadfast/toolkit/observability';
import type { Pool } from '@steadfast/toolkit/postgres';
import Fastify from 'fastify';

export const ORDER_BODY = JSON.stringify({ currency: 'EUR', items: [{ sku: 'SKU-1', quantity: 2 }] });

/** which of the production traffic controls run (config defaults); absent: none, as before they existed */
export interface BenchTraffic {
  rateLimits?: boolean;
  loadShedding?: boolean;
}

function benchTraffic(traffic: BenchTraffic | undefined): TrafficOptions | undefined {
  if (!traffic) return undefined;
  const defaults = trafficConfig(process.env); // the same variables as `steadfast start`
  return {
    rateLimits: traffic.rateLimits ? defaults.rateLimits : undefined,
    loadShedding: traffic.loadShedding ? defaults.loadShedding : undefined,
  };
}

/** another tenant on the bench database; returns its API key */
export async function addBenchTenant(pool: Pool, name: string): Promise<string> {
  return (await createTenant(pool, createIdGenerator(), { name })).apiKey;
}

export async function startOrdersApi(
  pool: Pool,
  options: {
    idempotency?: boolean;
    partners?: PartnerUrls;
    tuning?: PartnerTuning;
    traffic?: BenchTraffic;
    /** request lineage (default on, as in production; false: the LINEAGE=off baseline) */
    lineage?: boolean;
    /** Standard Webhooks secrets for /webhooks/payments */
    webhooks?: { secrets: string[] };
    /** group commit of creates (default: the app's default, on) */
    coalesce?: false;
    /** the bench tenant's pinned API version (default: the newest, as `steadfast tenant create` pins) */
    apiVersion?: string;
  } = {},
) {
  const ids = createIdGenerator();
  const tenant = await createTenant(pool, ids, { name: 'bench' });
  await pinNewTenant(pool, tenant.tenantId, options.apiVersion ?? NEWEST_VERSION);
  // production logging (one line per request at info, the default buffered destination), written to /dev/null;
  // BENCH_LOG_BUFFER=0 writes each line at once (what chunking buys)
  const logger = createLogger({
    level: 'info',
    destination: createLogDestination({
      dest: '/dev/null',
      bufferBytes: Number(process.env.BENCH_LOG_BUFFER ?? 4096),
    }),
  });
  const app = await buildApp({
    db: pool,
    logger,
    ids,
    migrations: appMigrations(),
    idempotency: { enabled: options.idempotency ?? true, coalesce: options.coalesce },
    partners: options.partners ? { urls: options.partners, tuning: options.tuning } : undefined,
    traffic: benchTraffic(options.traffic),
    lineage: { enabled: options.lineage ?? true },
    webhooks: options.webhooks,
  });
  const url = await app.server.listen({ port: 0, host: '127.0.0.1' });
  return { url, apiKey: tenant.apiKey, app, close: () => app.server.close() };
}

/** POST /bare: parse JSON, one INSERT into a table shaped like orders, 201 with the row. */
export async function startBareInsert(pool: Pool) {
  await pool.query(
    'CREATE TABLE IF NOT EXISTS bare_orders (LIKE orders INCLUDING DEFAULTS INCLUDING INDEXES)',
  );
  const server = Fastify();
  server.post('/bare', async (request, reply) => {
    const body = request.body as { currency: string; items: { sku: string; quantity: number }[] };
    const now = new Date().toISOString();
    const row = {
      id: `ord_${randomUUID()}`,
      tenant_id: 'ten_bench',
      status: 'draft',
      currency: body.currency,
      items: body.items.map((i) => ({ ...i, unitAmount: 100, amount: 100 * i.quantity })),
      total_amount: 100,
      created_at: now,
    };
    await pool.query(
      `INSERT INTO bare_orders (id, tenant_id, status, currency, items, total_amount, priced_at, created_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $7, $7)`,
      [row.id, row.tenant_id, row.status, row.currency, JSON.stringify(row.items), row.total_amount, now],
    );
    return reply.code(201).send(row);
  });
  const url = await server.listen({ port: 0, host: '127.0.0.1' });
  return { url, close: () => server.close() };
}

/** POST /simplest: the simplest possible insert route — one jsonb column, a bigserial key, 201 with the row. */
export async function startSimplestInsert(pool: Pool) {
  await pool.query(
    'CREATE TABLE IF NOT EXISTS simplest_orders (id bigserial PRIMARY KEY, doc jsonb NOT NULL)',
  );
  const server = Fastify();
  server.post('/simplest', async (request, reply) => {
    const { rows } = await pool.query<{ id: string }>({
      name: 'simplest.insert',
      text: 'INSERT INTO simplest_orders (doc) VALUES ($1) RETURNING id',
      values: [JSON.stringify(request.body)],
    });
    return reply.code(201).send({ id: rows[0].id, ...(request.body as object) });
  });
  const url = await server.listen({ port: 0, host: '127.0.0.1' });
  return { url, close: () => server.close() };
}

/** The simulated partners on a free port, and the URLs the Orders API needs. */
export function startPartners() {
  return startSandbox({ chargeProcessingMs: 0 });
}
