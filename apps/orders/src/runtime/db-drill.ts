/**
 * Database failure drills (for the restart test and `npm run bench -- db-restart`):
 * a separate Postgres cluster that can be restarted or frozen under a running
 * service, a load of creates and pays that retries 503s with the same
 * Idempotency-Key and records every acknowledged answer, and the check that
 * nothing acknowledged was lost and no charge was doubled (also used by the
 * chaos harness, bench/chaos/).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createPool } from '@steadfast/toolkit/postgres';
import { type EmbeddedCluster, freePort, startEmbeddedCluster } from '@steadfast/toolkit/testing';

export interface DrillCluster {
  cluster: EmbeddedCluster;
  /** the drill database's URL, for DATABASE_URL */
  url: string;
  /** SIGSTOP the postmaster and every backend (a frozen server); returns the pids for thaw */
  freeze(): number[];
  thaw(pids: number[]): void;
  close(): Promise<void>;
}

/** The postmaster and its children (backends, checkpointer, …), from /proc. */
export function clusterProcesses(postmaster: number): number[] {
  const children = fs.readFileSync(`/proc/${postmaster}/task/${postmaster}/children`, 'utf8').trim();
  return [postmaster, ...(children ? children.split(/\s+/).map(Number) : [])];
}

export async function startDrillCluster(): Promise<DrillCluster> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'steadfast-drill-'));
  fs.chmodSync(dir, 0o755);
  const cluster = await startEmbeddedCluster({
    dataDir: path.join(dir, 'pg'),
    port: await freePort(),
    password: 'drill',
    // synchronous_commit stays on: a commit acknowledged before `-m immediate` must survive it
    settings: { fsync: 'off', full_page_writes: 'off', max_connections: '100' },
  });
  const admin = createPool({ connectionString: cluster.url('postgres'), max: 1 });
  await admin.query('CREATE DATABASE drill').finally(() => admin.end());
  return {
    cluster,
    url: cluster.url('drill'),
    freeze() {
      const pid = cluster.pid;
      if (pid === undefined) throw new Error('the drill cluster is not running');
      const pids = clusterProcesses(pid);
      for (const p of pids) process.kill(p, 'SIGSTOP');
      return pids;
    },
    thaw(pids) {
      for (const p of pids) {
        try {
          process.kill(p, 'SIGCONT');
        } catch {
          // exited meanwhile
        }
      }
    },
    async close() {
      await cluster.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface LoadTarget {
  apiUrl: string;
  apiKey: string;
}

export interface LoadResult {
  /** orders whose create was answered 201 */
  created: string[];
  /** pays answered 202/200: the order and its operation */
  paid: { orderId: string; operationId: string }[];
  /** answers by status, retries included */
  statuses: Record<string, number>;
  /** completion times (performance.now()) of every 2xx */
  successesAt: number[];
}

export interface Load {
  /** resolves once `n` 2xx answers were received in all */
  successes(n: number, timeoutMs?: number): Promise<void>;
  /** resolves with the first 2xx completed after `since` (performance.now()), as that time */
  successAfter(since: number, timeoutMs?: number): Promise<number>;
  stop(): Promise<LoadResult>;
}

/**
 * `clients` loops of create → submit → approve → pay; every step is retried
 * with its own Idempotency-Key until it is answered 2xx (503s and broken
 * connections are expected during a drill). A loop stops after its step in
 * progress when `stop()` is called.
 */
export function startLoad(target: LoadTarget, options: { clients?: number; prefix?: string } = {}): Load {
  const result: LoadResult = { created: [], paid: [], statuses: {}, successesAt: [] };
  const prefix = options.prefix ?? `drill-${Date.now()}`;
  let stopping = false;

  async function step(method: string, url: string, key: string, body?: unknown, prefer?: string) {
    for (;;) {
      let status = 'network-error';
      try {
        const response = await fetch(`${target.apiUrl}${url}`, {
          method,
          headers: {
            authorization: `Bearer ${target.apiKey}`,
            'idempotency-key': key,
            ...(body ? { 'content-type': 'application/json' } : {}),
            ...(prefer ? { prefer } : {}),
          },
          body: body ? JSON.stringify(body) : undefined,
          signal: AbortSignal.timeout(30_000),
        });
        status = String(response.status);
        const json = (await response.json()) as Record<string, unknown>;
        result.statuses[status] = (result.statuses[status] ?? 0) + 1;
        if (response.ok) {
          result.successesAt.push(performance.now());
          return json;
        }
      } catch {
        result.statuses[status] = (result.statuses[status] ?? 0) + 1;
      }
      if (stopping) return undefined;
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  async function client(c: number): Promise<void> {
    for (let n = 0; !stopping; n++) {
      const key = `${prefix}-${c}-${n}`;
      const order = await step('POST', '/v1/orders', `${key}-create`, {
        currency: 'EUR',
        items: [{ sku: 'SKU-1', quantity: 1 + (n % 3) }],
      });
      if (!order) return;
      const id = String(order.id);
      result.created.push(id);
      for (const action of ['submit', 'approve']) {
        if (!(await step('POST', `/v1/orders/${id}/${action}`, `${key}-${action}`))) return;
      }
      // Prefer: wait keeps the LISTEN connection in use through the drill
      const op = await step('POST', `/v1/orders/${id}/pay`, `${key}-pay`, undefined, 'wait=1');
      if (!op) return;
      result.paid.push({ orderId: id, operationId: String(op.id) });
    }
  }

  const loops = Array.from({ length: options.clients ?? 4 }, (_, c) => client(c));
  return {
    async successes(n, timeoutMs = 60_000) {
      const deadline = performance.now() + timeoutMs;
      while (result.successesAt.length < n) {
        if (performance.now() > deadline) throw new Error(`fewer than ${n} 2xx within ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 10));
      }
    },
    async successAfter(since, timeoutMs = 60_000) {
      const deadline = performance.now() + timeoutMs;
      for (;;) {
        const first = result.successesAt.find((t) => t > since);
        if (first !== undefined) return first;
        if (performance.now() > deadline) throw new Error(`no 2xx within ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 10));
      }
    },
    async stop() {
      stopping = true;
      await Promise.all(loops);
      return result;
    },
  };
}

export interface LossReport {
  /** acknowledged creates whose order is missing */
  missingOrders: string[];
  /** acknowledged pays whose operation did not end (succeeded or failed) in time */
  unfinished: string[];
  /** orders charged more than once (successful charges in the partner's ledger) */
  doubleCharged: string[];
  charges: number;
}

/** Successful charges per order, from the partner's ledger (our references are `pay:<orderId>:<n>`). */
export function chargesPerOrder(ledger: { reference: string; status: string }[]): Map<string, number> {
  const perOrder = new Map<string, number>();
  for (const charge of ledger) {
    if (charge.status !== 'succeeded') continue;
    const orderId = charge.reference.split(':')[1] ?? charge.reference;
    perOrder.set(orderId, (perOrder.get(orderId) ?? 0) + 1);
  }
  return perOrder;
}

/** After the drill: every acknowledged write is there, every payment ended, no order charged twice. */
export async function checkNothingLost(
  target: LoadTarget & { sandboxUrl: string },
  load: LoadResult,
  options: { settleTimeoutMs?: number } = {},
): Promise<LossReport> {
  const headers = { authorization: `Bearer ${target.apiKey}` };
  const missingOrders: string[] = [];
  for (const id of load.created) {
    const response = await fetch(`${target.apiUrl}/v1/orders/${id}`, { headers });
    await response.body?.cancel();
    if (response.status !== 200) missingOrders.push(id);
  }
  const deadline = Date.now() + (options.settleTimeoutMs ?? 60_000);
  let unfinished = load.paid.map((p) => p.operationId);
  while (unfinished.length > 0 && Date.now() < deadline) {
    const still: string[] = [];
    for (const id of unfinished) {
      const response = await fetch(`${target.apiUrl}/v1/operations/${id}`, { headers });
      const op = (await response.json()) as { status?: string };
      if (op.status !== 'succeeded' && op.status !== 'failed') still.push(id);
    }
    unfinished = still;
    if (unfinished.length) await new Promise((r) => setTimeout(r, 250));
  }
  const ledger = (await (await fetch(`${target.sandboxUrl}/payments/ledger`)).json()) as {
    data: { reference: string; status: string }[];
  };
  const doubleCharged = [...chargesPerOrder(ledger.data)].filter(([, n]) => n > 1).map(([id]) => id);
  return { missingOrders, unfinished, doubleCharged, charges: ledger.data.length };
}
