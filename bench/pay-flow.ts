/**
 * Completed payments per second end to end (POST pay → worker → partner →
 * settled), with a healthy payments partner (the baseline) and with 30 %
 * mixed faults on charges (503, lost responses, latency). Prints double
 * charges and lost payments; both must be 0.
 */
import { randomUUID } from 'node:crypto';
import { createOrdersWorker } from '@steadfast/orders/worker';
import { createLogger } from '@steadfast/toolkit/observability';
import { startBenchDatabase } from './lib/cluster.ts';
import { report, round } from './lib/report.ts';
import { startOrdersApi, startPartners } from './lib/servers.ts';

type Api = Awaited<ReturnType<typeof startOrdersApi>>;

async function approvedOrders(api: Api, pool: import('pg').Pool, n: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const response = await fetch(`${api.url}/v1/orders`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${api.apiKey}`,
        'content-type': 'application/json',
        'idempotency-key': randomUUID(),
      },
      body: JSON.stringify({ currency: 'EUR', items: [{ sku: 'PAYBENCH', quantity: 1 }] }),
    });
    ids.push(((await response.json()) as { id: string }).id);
  }
  await pool.query(`UPDATE orders SET status = 'approved' WHERE id = ANY($1)`, [ids]);
  return ids;
}

async function payAll(api: Api, pool: import('pg').Pool, orders: string[], concurrency = 20) {
  const started = performance.now();
  const queue = [...orders];
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let id = queue.shift(); id; id = queue.shift()) {
        const response = await fetch(`${api.url}/v1/orders/${id}/pay`, {
          method: 'POST',
          headers: { authorization: `Bearer ${api.apiKey}`, 'idempotency-key': randomUUID() },
        });
        if (response.status !== 202) throw new Error(`pay answered ${response.status}`);
        await response.arrayBuffer();
      }
    }),
  );
  for (;;) {
    const { rows } = await pool.query(
      `SELECT count(*)::int AS n FROM orders WHERE id = ANY($1) AND status = 'payment_pending'`,
      [orders],
    );
    if (rows[0].n === 0 || performance.now() - started > 120_000) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  return (performance.now() - started) / 1000;
}

async function audit(base: string, pool: import('pg').Pool, orders: string[]) {
  const ledger = (
    (await (await fetch(`${base}/payments/ledger`)).json()) as {
      data: { reference: string; status: string }[];
    }
  ).data;
  const charges = new Map<string, number>();
  for (const c of ledger) {
    const orderId = c.reference.split(':')[1];
    if (c.status === 'succeeded') charges.set(orderId, (charges.get(orderId) ?? 0) + 1);
  }
  const { rows } = await pool.query<{ id: string; status: string }>(
    'SELECT id, status FROM orders WHERE id = ANY($1)',
    [orders],
  );
  const doubleCharges = [...charges.values()].filter((n) => n > 1).length;
  const lost = rows.filter((r) => r.status !== 'paid' || (charges.get(r.id) ?? 0) !== 1).length;
  return { doubleCharges, lost, paid: rows.filter((r) => r.status === 'paid').length };
}

export async function run(args: string[]): Promise<void> {
  const n = Number(args[0] ?? 300);
  const db = await startBenchDatabase({ poolMax: 30 });
  const partners = await startPartners();
  const api = await startOrdersApi(db.pool, { partners: partners.urls });
  const built = api.app;
  const worker = createOrdersWorker({
    pool: db.pool,
    log: createLogger({ level: 'silent' }),
    registry: built.metrics.registry,
    webhookMetrics: built.webhookMetrics,
    ids: built.ids,
    partners: built.partners!,
    jobMaxAttempts: 8,
    jobMaxDelayMs: 500,
    concurrency: 8,
  });
  await worker.start();
  try {
    const healthyOrders = await approvedOrders(api, db.pool, n);
    const healthyS = await payAll(api, db.pool, healthyOrders);
    const healthy = await audit(partners.base, db.pool, healthyOrders);
    await partners.chaos('payments', {
      seed: 30,
      rules: [
        {
          match: { method: 'POST', path: '/payments/v1/charges' },
          fault: 'error',
          status: 503,
          probability: 0.1,
        },
        {
          match: { method: 'POST', path: '/payments/v1/charges' },
          fault: 'lost-response',
          probability: 0.11,
        },
        {
          match: { method: 'POST', path: '/payments/v1/charges' },
          fault: 'latency',
          latencyMs: 200,
          probability: 0.125,
        },
      ],
    });
    const faultyOrders = await approvedOrders(api, db.pool, n);
    const faultyS = await payAll(api, db.pool, faultyOrders);
    const faulty = await audit(partners.base, db.pool, faultyOrders);
    const chaos = (await (await fetch(`${partners.base}/payments/_chaos`)).json()) as {
      faultsInjected: Record<string, number>;
    };
    console.log(
      `healthy: ${n} payments in ${healthyS.toFixed(1)} s → ${Math.round(n / healthyS)}/s; double charges ${healthy.doubleCharges}, lost ${healthy.lost}`,
    );
    console.log(
      `30% faults ${JSON.stringify(chaos.faultsInjected)}: ${n} payments in ${faultyS.toFixed(1)} s → ${Math.round(n / faultyS)}/s; double charges ${faulty.doubleCharges}, lost ${faulty.lost}`,
    );
    report({
      name: 'pay-flow',
      value: round(n / faultyS, 1),
      baseline: round(n / healthyS, 1),
      ratio: round(healthyS / faultyS),
      unit: 'completed payments/s (with faults vs healthy)',
      target: 'doubleCharges = 0, lostPayments = 0',
      doubleCharges: healthy.doubleCharges + faulty.doubleCharges,
      lostPayments: healthy.lost + faulty.lost,
      payments: n,
    });
  } finally {
    await worker.stop();
    await api.close();
    await partners.close();
    await db.close();
  }
}
