/**
 * The soak's load (argv[2] = JSON options), in its own process so the service's
 * RSS and event loop are the service's alone. A fixed cycle of operations —
 * creates (fresh Idempotency-Key), reads (GET /v1/orders/{id}), pays
 * (submit → approve → pay on an order this child created, each with its key)
 * and signed deliveries to /webhooks/payments (a charge.succeeded for a charge
 * the sandbox made for one of those pays; an unknown charge before the first) —
 * closed-loop (`concurrency` loops, as fast as answers come: capacity) or
 * open-loop (`ratePerS` operations started on schedule, answered or not).
 * Prints a progress line every `progressEveryMs` and one result line, JSON.
 * Any status but the expected one, and any connection error, is an error.
 */
import { randomUUID } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { Pool } from 'undici';
import { signedChargeDelivery } from './signed-delivery.ts';

export interface SoakLoadOptions {
  origin: string;
  apiKey: string;
  webhookSecret: string;
  sandboxOrigin: string;
  mode: 'closed' | 'open';
  concurrency: number;
  ratePerS: number;
  durationS: number;
  connections: number;
  /** open loop: operations still waiting beyond this are not started (counted as dropped, an error) */
  maxOutstanding: number;
  progressEveryMs: number;
}

type Op = 'create' | 'read' | 'pay' | 'webhook';
type Request = 'create' | 'read' | 'submit' | 'approve' | 'pay' | 'webhook';

/** per 10 operations: 4 creates, 3 reads, 2 pays (3 requests each), 1 webhook delivery */
const CYCLE: Op[] = ['create', 'read', 'create', 'pay', 'read', 'create', 'webhook', 'read', 'create', 'pay'];
const EXPECTED: Record<Request, number> = {
  create: 201,
  read: 200,
  submit: 200,
  approve: 200,
  pay: 202,
  webhook: 200,
};
/** bounded: the load generator must not grow either */
const KEEP = 2000;
const WEBHOOK_AFTER_MS = 2000;

const options = JSON.parse(process.argv[2]) as SoakLoadOptions;
const api = new Pool(options.origin, { connections: options.connections, pipelining: 1 });
const sandbox = new Pool(options.sandboxOrigin, { connections: 8, pipelining: 1 });
const signer = new Webhook(options.webhookSecret);
const auth = { authorization: `Bearer ${options.apiKey}` };
const ORDER_BODY = JSON.stringify({ currency: 'EUR', items: [{ sku: 'SOAK-1', quantity: 2 }] });

const latencies = new Map<Request, number[]>();
const counts = { operations: 0, requests: 0, errors: 0, dropped: 0, webhooksForRealCharges: 0 };
const errorSamples: string[] = [];
const drafts: string[] = [];
const recent: string[] = [];
const paid: { id: string; at: number }[] = [];

function push<T>(list: T[], item: T) {
  list.push(item);
  if (list.length > KEEP) list.shift();
}

function fail(what: string) {
  counts.errors++;
  if (errorSamples.length < 20) errorSamples.push(what);
}

/** one request; true when it answered the expected status */
async function send(
  kind: Request,
  request: { path: string; method: 'GET' | 'POST'; headers?: Record<string, string>; body?: string },
): Promise<{ ok: boolean; body: string }> {
  const started = performance.now();
  counts.requests++;
  try {
    const response = await api.request({ ...request, headers: { ...auth, ...request.headers } });
    const body = await response.body.text();
    const list = latencies.get(kind) ?? [];
    if (!list.length) latencies.set(kind, list);
    list.push(performance.now() - started);
    if (response.statusCode !== EXPECTED[kind]) {
      fail(`${kind} ${request.path}: ${response.statusCode} ${body.slice(0, 300)}`);
      return { ok: false, body };
    }
    return { ok: true, body };
  } catch (error) {
    fail(`${kind} ${request.path}: ${(error as Error).message}`);
    return { ok: false, body: '' };
  }
}

const keyed = (extra: Record<string, string> = {}) => ({ 'idempotency-key': randomUUID(), ...extra });

/** `forPay`: the caller pays it, so it is not offered to another pay */
async function create(forPay = false): Promise<string | undefined> {
  const { ok, body } = await send('create', {
    path: '/v1/orders',
    method: 'POST',
    headers: keyed({ 'content-type': 'application/json' }),
    body: ORDER_BODY,
  });
  if (!ok) return undefined;
  const id = (JSON.parse(body) as { id: string }).id;
  if (!forPay) push(drafts, id);
  push(recent, id);
  return id;
}

async function read() {
  const id = recent[Math.floor(Math.random() * recent.length)] ?? (await create());
  if (id) await send('read', { path: `/v1/orders/${id}`, method: 'GET' });
}

async function pay() {
  const id = drafts.shift() ?? (await create(true));
  if (!id) return;
  for (const step of ['submit', 'approve', 'pay'] as const) {
    const { ok } = await send(step, { path: `/v1/orders/${id}/${step}`, method: 'POST', headers: keyed() });
    if (!ok) return;
  }
  push(paid, { id, at: Date.now() });
}

/** the partner's charge for an order paid a while ago, or an unknown charge (the handler ignores it) */
async function chargeToAnnounce(): Promise<{ id: string; reference?: string }> {
  const head = paid[0];
  if (head && Date.now() - head.at >= WEBHOOK_AFTER_MS) {
    paid.shift();
    const response = await sandbox.request({
      path: `/payments/v1/charges?reference=${encodeURIComponent(`pay:${head.id}:1`)}`,
      method: 'GET',
    });
    const found = ((await response.body.json()) as { data: { id: string; reference: string }[] }).data[0];
    if (found) {
      counts.webhooksForRealCharges++;
      return found;
    }
  }
  return { id: `ch_unknown_${randomUUID()}` };
}

async function webhook() {
  const charge = await chargeToAnnounce();
  const delivery = signedChargeDelivery(signer, charge);
  await send('webhook', { path: '/webhooks/payments', method: 'POST', ...delivery });
}

const RUN: Record<Op, () => Promise<unknown>> = { create, read, pay, webhook };
let next = 0;
async function operation() {
  const op = CYCLE[next++ % CYCLE.length];
  try {
    await RUN[op]();
  } catch (error) {
    fail(`${op}: ${(error as Error).message}`);
  }
  counts.operations++;
}

const start = performance.now();
const elapsedS = () => (performance.now() - start) / 1000;
const progress = setInterval(() => {
  process.stdout.write(`${JSON.stringify({ type: 'progress', atS: elapsedS(), ...counts })}\n`);
}, options.progressEveryMs);

if (options.mode === 'closed') {
  const endAt = start + options.durationS * 1000;
  await Promise.all(
    Array.from({ length: options.concurrency }, async () => {
      while (performance.now() < endAt) await operation();
    }),
  );
} else {
  const total = Math.round(options.ratePerS * options.durationS);
  const pending = new Set<Promise<void>>();
  let started = 0;
  while (started < total) {
    const due = Math.min(total, Math.floor(elapsedS() * options.ratePerS));
    for (; started < due; started++) {
      if (pending.size >= options.maxOutstanding) {
        counts.dropped++;
        fail('dropped: too many operations outstanding');
        continue;
      }
      const p = operation().finally(() => pending.delete(p));
      pending.add(p);
    }
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  await Promise.all(pending);
}
const elapsed = elapsedS();
clearInterval(progress);
await api.close();
await sandbox.close();

function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return 0;
  return Math.round(sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] * 100) / 100;
}
const byRequest: Record<string, { count: number; p50Ms: number; p99Ms: number }> = {};
for (const [kind, list] of latencies) {
  list.sort((a, b) => a - b);
  byRequest[kind] = { count: list.length, p50Ms: percentile(list, 50), p99Ms: percentile(list, 99) };
}
process.stdout.write(
  `${JSON.stringify({ type: 'result', elapsedS: elapsed, ...counts, byRequest, errorSamples })}\n`,
);
