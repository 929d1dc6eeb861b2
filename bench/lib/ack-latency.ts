/**
 * Ack latency of a webhook intake at a fixed rate, open loop (each request's
 * latency counts from its scheduled start, so a stall is not hidden), in
 * rounds that alternate four arms: a no-op route (what any route costs on
 * this machine at that rate), the bare INSERT route, the intake with nothing
 * draining the inbox, and the intake while the inbox processor drains what
 * arrives. Each arm's p99 is the median of its rounds: one stall of the
 * machine in one round does not decide the figure, and the arms take turns.
 */
import { eventually } from '@steadfast/toolkit/testing';
import type { Pool } from 'pg';
import { openLoop } from './open-loop.ts';

export interface AckArm {
  p50Ms: number[];
  p99Ms: number[];
  /** requests not answered 2xx (other statuses, errors, dropped) */
  non2xx: number;
}

export interface AckLatencyOptions {
  db: Pool;
  urls: { noop: string; bare: string; ours: string };
  webhookSecret: string;
  ratePerS: number;
  durationS: number;
  rounds: number;
  /** starts the inbox processor; resolves with its stop */
  startProcessor: () => Promise<() => Promise<void>>;
}

export type AckLatency = Record<'noop' | 'bare' | 'idle' | 'draining', AckArm> & {
  /** receipt → processed of the rows that arrived while draining */
  lagMs: { p50: number; p99: number };
};

export async function measureAckLatency(options: AckLatencyOptions): Promise<AckLatency> {
  const arms = { noop: arm(), bare: arm(), idle: arm(), draining: arm() };
  const windows: [Date, Date][] = [];
  const paced = async (into: AckArm, url: string) => {
    const result = await openLoop({
      url,
      method: 'POST',
      webhookSecret: options.webhookSecret,
      ratePerS: options.ratePerS,
      durationS: options.durationS,
      connections: 32,
    });
    const ok = result.statuses['2xx'] ?? { count: 0, p50Ms: 0, p99Ms: 0 };
    into.p50Ms.push(ok.p50Ms);
    into.p99Ms.push(ok.p99Ms);
    into.non2xx += result.sent - ok.count;
  };
  for (let round = 0; round < options.rounds; round++) {
    await paced(arms.noop, options.urls.noop);
    await paced(arms.bare, options.urls.bare);
    await settleInbox(options.db);
    await paced(arms.idle, options.urls.ours);
    // what the idle arm left is not the processor's to drain: it would start behind
    await settleInbox(options.db);
    const stop = await options.startProcessor();
    const from = new Date();
    await paced(arms.draining, options.urls.ours);
    windows.push([from, new Date()]);
    await drained(options.db);
    await stop();
  }
  const { rows } = await options.db.query<{ p50: number; p99: number }>(
    `SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) AS p50, percentile_cont(0.99) WITHIN GROUP (ORDER BY ms) AS p99
     FROM (SELECT extract(epoch FROM processed_at - received_at) * 1000 AS ms FROM webhook_inbox w
           JOIN unnest($1::timestamptz[], $2::timestamptz[]) AS t(f, u) ON w.received_at >= t.f AND w.received_at < t.u
           WHERE w.processed_at IS NOT NULL) s`,
    [windows.map((w) => w[0]), windows.map((w) => w[1])],
  );
  return { ...arms, lagMs: { p50: Math.round(rows[0].p50), p99: Math.round(rows[0].p99) } };
}

function arm(): AckArm {
  return { p50Ms: [], p99Ms: [], non2xx: 0 };
}

/** every row handled and the dead tuples vacuumed, so no arm pays for an earlier one's leftovers */
async function settleInbox(db: Pool): Promise<void> {
  await db.query(
    `UPDATE webhook_inbox SET status = 'processed', processed_at = now() WHERE status = 'received'`,
  );
  await db.query('VACUUM webhook_inbox');
}

async function drained(db: Pool): Promise<void> {
  await eventually(
    async () =>
      (await db.query(`SELECT 1 FROM webhook_inbox WHERE status = 'received' LIMIT 1`)).rowCount === 0,
    {
      timeoutMs: 10_000,
      intervalMs: 100,
      message: 'the inbox processor did not drain within 10 s of the load',
    },
  );
}
