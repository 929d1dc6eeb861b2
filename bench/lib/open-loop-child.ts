/**
 * Open-loop load (argv[2] = JSON options): requests start on a fixed schedule,
 * `ratePerS` in all, whether or not earlier ones have answered, so a slow
 * server meets the same offered load a real crowd of clients would bring.
 * Latency is measured from the scheduled start (no coordinated omission).
 * Prints per-status counts and latency percentiles as JSON.
 */
import { randomUUID } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { Pool } from 'undici';
import { signedChargeDelivery } from './signed-delivery.ts';

interface Options {
  origin: string;
  path: string;
  method: 'GET' | 'POST';
  headers: Record<string, string>;
  body?: string;
  ratePerS: number;
  durationS: number;
  connections: number;
  uniqueKey: boolean;
  /** sign a fresh Standard Webhooks delivery per request with this secret (it is the body) */
  webhookSecret?: string;
  /** requests still waiting beyond this are not sent (counted as `dropped`) */
  maxOutstanding: number;
}

const options = JSON.parse(process.argv[2]) as Options;
const pool = new Pool(options.origin, { connections: options.connections, pipelining: 1 });
const signer = options.webhookSecret ? new Webhook(options.webhookSecret) : undefined;
const byStatus = new Map<number, number[]>();
let errors = 0;
let dropped = 0;
let outstanding = 0;

function record(status: number, ms: number) {
  const list = byStatus.get(status) ?? [];
  if (!list.length) byStatus.set(status, list);
  list.push(ms);
}

async function one(scheduledAt: number) {
  outstanding++;
  try {
    let headers = options.uniqueKey
      ? { ...options.headers, 'idempotency-key': randomUUID() }
      : options.headers;
    let body = options.body;
    if (signer) {
      const delivery = signedChargeDelivery(signer, { id: 'ch_bench', amount: 1000 });
      headers = { ...headers, ...delivery.headers };
      body = delivery.body;
    }
    const response = await pool.request({ path: options.path, method: options.method, headers, body });
    await response.body.dump();
    record(response.statusCode, performance.now() - scheduledAt);
  } catch {
    errors++;
  } finally {
    outstanding--;
  }
}

const start = performance.now();
const total = Math.round(options.ratePerS * options.durationS);
const pending: Promise<void>[] = [];
let sent = 0;
while (sent < total) {
  const now = performance.now();
  const due = Math.min(total, Math.floor(((now - start) / 1000) * options.ratePerS));
  while (sent < due) {
    const scheduledAt = start + (sent / options.ratePerS) * 1000;
    sent++;
    if (outstanding >= options.maxOutstanding) dropped++;
    else pending.push(one(scheduledAt));
  }
  await new Promise((resolve) => setTimeout(resolve, 1));
}
await Promise.all(pending);
const elapsedS = (performance.now() - start) / 1000;
await pool.close();

function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return 0;
  return Math.round(sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] * 100) / 100;
}
const statuses: Record<string, { count: number; p50Ms: number; p99Ms: number }> = {};
const figures = (list: number[]) => {
  list.sort((a, b) => a - b);
  return { count: list.length, p50Ms: percentile(list, 50), p99Ms: percentile(list, 99) };
};
for (const [status, list] of byStatus) statuses[status] = figures(list);
// every 2xx answer together: what the admitted requests saw
statuses['2xx'] = figures([...byStatus].filter(([s]) => s >= 200 && s < 300).flatMap(([, l]) => l));
process.stdout.write(JSON.stringify({ elapsedS, sent, dropped, errors, statuses }));
