/**
 * After a chaos run: wait for quiescence (every acknowledged pay terminal, no
 * charge pending at the partner, a reconciliation sweep run and finished, no
 * order still waiting for its payment), then count what was lost, charged
 * twice, or left contradicting the partner's ledger.
 */
import {
  chargesPerOrder,
  checkNothingLost,
  type LoadResult,
  type LossReport,
} from '../../apps/orders/src/runtime/db-drill.ts';
import { ledgerMismatches, type Mismatch } from './report.ts';

export interface Target {
  apiUrl: string;
  apiKey: string;
  /** operator routes (reconciliations) need an operator key */
  operatorKey: string;
  sandboxUrl: string;
}

export interface Verification {
  loss: LossReport;
  doubleCharged: string[];
  mismatches: Mismatch[];
  /** seconds from the end of the load until everything was terminal */
  quiescenceS: number;
  reconciliation: string;
}

type Charge = { reference: string; status: string };

async function ledger(sandboxUrl: string): Promise<Charge[]> {
  const body = (await (await fetch(`${sandboxUrl}/payments/ledger`)).json()) as { data: Charge[] };
  return body.data;
}

async function orderStatuses(target: Target, ids: string[]): Promise<{ id: string; status: string }[]> {
  const out: { id: string; status: string }[] = [];
  const queue = [...ids];
  const headers = { authorization: `Bearer ${target.apiKey}` };
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      for (let id = queue.pop(); id !== undefined; id = queue.pop()) {
        const response = await fetch(`${target.apiUrl}/v1/orders/${id}`, { headers });
        const order = (await response.json()) as { status?: string };
        out.push({
          id,
          status: response.status === 200 ? String(order.status) : `missing (${response.status})`,
        });
      }
    }),
  );
  return out;
}

async function until(
  what: string,
  check: () => Promise<boolean>,
  deadline: number,
  log: (s: string) => void,
) {
  while (!(await check())) {
    if (Date.now() > deadline) {
      log(`quiescence: gave up waiting for ${what}`);
      return;
    }
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** One reconciliation sweep through the API (POST /v1/reconciliations), waited for; its final status. */
async function reconcile(target: Target, key: string, deadline: number): Promise<string> {
  const headers = { authorization: `Bearer ${target.operatorKey}`, 'idempotency-key': key };
  for (;;) {
    try {
      const response = await fetch(`${target.apiUrl}/v1/reconciliations`, { method: 'POST', headers });
      const op = (await response.json()) as { id?: string };
      if (response.status === 202 && op.id) {
        for (;;) {
          const r = await fetch(`${target.apiUrl}/v1/operations/${op.id}`, { headers });
          const status = String(((await r.json()) as { status?: string }).status);
          if (status === 'succeeded' || status === 'failed' || Date.now() > deadline) return status;
          await new Promise((r) => setTimeout(r, 250));
        }
      }
    } catch {
      // a web restarting: try again
    }
    if (Date.now() > deadline) return 'not started';
    await new Promise((r) => setTimeout(r, 500));
  }
}

export async function verify(
  target: Target,
  load: LoadResult,
  options: { settleTimeoutMs: number; log: (line: string) => void },
): Promise<Verification> {
  const started = Date.now();
  const deadline = started + options.settleTimeoutMs;
  const loss = await checkNothingLost(target, load, { settleTimeoutMs: options.settleTimeoutMs });
  await until(
    'pending charges to settle',
    async () => (await ledger(target.sandboxUrl)).every((c) => c.status !== 'pending'),
    deadline,
    options.log,
  );
  const reconciliation = await reconcile(target, `chaos-reconcile-${Date.now()}`, deadline);
  let orders: { id: string; status: string }[] = [];
  await until(
    'orders to leave payment_pending',
    async () => {
      orders = await orderStatuses(target, load.created);
      return orders.every((o) => o.status !== 'payment_pending');
    },
    deadline,
    options.log,
  );
  const final = await ledger(target.sandboxUrl);
  orders = await orderStatuses(target, load.created);
  const doubleCharged = [...chargesPerOrder(final)].filter(([, n]) => n > 1).map(([id]) => id);
  return {
    loss,
    doubleCharged,
    mismatches: ledgerMismatches(orders, final),
    quiescenceS: (Date.now() - started) / 1000,
    reconciliation,
  };
}
