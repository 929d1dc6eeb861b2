/** The work-in-flight gauges on the web role's /metrics, read from the tables when scraped. */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { buildTestApp, type TestApp } from './testing.ts';

let app: TestApp;
before(async () => {
  app = await buildTestApp({ console: { stuckAfterMs: 60_000 } });
});
after(() => app.close());

const scrape = async () => (await app.server.inject({ method: 'GET', url: '/metrics' })).body;
/** the value of one sample, undefined when the series is absent */
function sample(text: string, series: string): number | undefined {
  const escaped = series.replace(/[{}()[\].*+?^$|\\]/g, '\\$&');
  const match = new RegExp(`^${escaped} (\\S+)$`, 'm').exec(text);
  return match ? Number(match[1]) : undefined;
}

test('an empty database: zero backlog, no workers, no lag sample', async () => {
  const text = await scrape();
  assert.equal(sample(text, 'steadfast_outbox_pending'), 0);
  assert.equal(sample(text, 'steadfast_outbox_oldest_pending_age_seconds'), 0);
  assert.equal(sample(text, 'steadfast_operations_open{status="pending"}'), 0);
  assert.equal(sample(text, 'steadfast_operations_stuck'), 0);
  assert.equal(sample(text, 'steadfast_workers_alive'), 0);
  assert.doesNotMatch(text, /^steadfast_webhook_inbox_lag_seconds\{/m);
});

test('each gauge counts what an operator needs, and only that', async () => {
  const db = app.db.pool;
  await db.query(`INSERT INTO outbox (id, tenant_id, type, payload, status, created_at) VALUES
    ('evt_1', 't', 'order.paid', '{}', 'pending', now() - interval '120 seconds'),
    ('evt_2', 't', 'order.paid', '{}', 'pending', now()),
    ('evt_3', 't', 'order.paid', '{}', 'delivered', now() - interval '1 day'),
    ('evt_4', 't', 'order.paid', '{}', 'dead', now() - interval '1 day')`);
  await db.query(`INSERT INTO operations (id, tenant_id, kind, status, created_at) VALUES
    ('op_1', 't', 'pay', 'running', now() - interval '10 minutes'),
    ('op_2', 't', 'pay', 'running', now()),
    ('op_3', 't', 'pay', 'pending', now()),
    ('op_4', 't', 'pay', 'succeeded', now() - interval '1 day')`);
  await db.query(`INSERT INTO webhook_inbox (id, source, webhook_id, raw_body, headers, status, received_at) VALUES
    ('whk_1', 'payments', 'm1', '\\x7b7d', '{}', 'received', now() - interval '90 seconds'),
    ('whk_2', 'payments', 'm2', '\\x7b7d', '{}', 'received', now()),
    ('whk_3', 'payments', 'm3', '\\x7b7d', '{}', 'failed', now()),
    ('whk_4', 'payments', 'm4', '\\x7b7d', '{}', 'processed', now() - interval '1 day')`);
  await db.query(`INSERT INTO dead_letters
      (id, task, payload, attempts, error_category, error_message, status, first_failed_at, last_failed_at) VALUES
    ('dl_1', 'take-payment', '{}', 8, 'dependency', 'timeout', 'dead', now(), now()),
    ('dl_2', 'take-payment', '{}', 8, 'dependency', 'timeout', 'replayed', now(), now()),
    ('dl_3', 'notify', '{}', 8, 'dependency', 'timeout', 'dead', now(), now())`);
  await db.query(`INSERT INTO worker_heartbeats (worker_id, process_id, last_seen_at) VALUES
    ('w1', 'proc-a', now()), ('w2', 'proc-a', now()), ('w3', 'proc-b', now() - interval '5 minutes')`);

  const text = await scrape();
  assert.equal(sample(text, 'steadfast_outbox_pending'), 2);
  const outboxAge = sample(text, 'steadfast_outbox_oldest_pending_age_seconds') ?? 0;
  assert.ok(outboxAge >= 120 && outboxAge < 3600, String(outboxAge));
  assert.equal(sample(text, 'steadfast_operations_open{status="running"}'), 2);
  assert.equal(sample(text, 'steadfast_operations_open{status="pending"}'), 1);
  assert.equal(sample(text, 'steadfast_operations_stuck'), 1, 'only op_1 is older than stuckAfterMs');
  assert.equal(sample(text, 'steadfast_webhook_inbox_pending{source="payments"}'), 2);
  assert.equal(sample(text, 'steadfast_webhook_inbox_failed{source="payments"}'), 1);
  const lag = sample(text, 'steadfast_webhook_inbox_lag_seconds{source="payments"}') ?? 0;
  assert.ok(lag >= 90 && lag < 3600, String(lag));
  assert.equal(sample(text, 'steadfast_dead_letters_open{task="take-payment"}'), 1);
  assert.equal(sample(text, 'steadfast_dead_letters_open{task="notify"}'), 1);
  assert.equal(sample(text, 'steadfast_workers_alive'), 1, 'proc-b is dead, proc-a counts once');

  // replayed and processed: gone from the gauges at the next scrape
  await db.query(`UPDATE dead_letters SET status = 'discarded' WHERE id = 'dl_3'`);
  await db.query(`UPDATE webhook_inbox SET status = 'processed' WHERE status = 'received'`);
  const later = await scrape();
  assert.equal(sample(later, 'steadfast_dead_letters_open{task="notify"}'), undefined);
  assert.equal(sample(later, 'steadfast_webhook_inbox_lag_seconds{source="payments"}'), undefined);
  assert.equal(sample(later, 'steadfast_webhook_inbox_pending{source="payments"}'), undefined);
});
