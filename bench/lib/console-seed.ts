/**
 * A realistic operations history for the console benchmark, bulk-inserted
 * with generate_series (no row-by-row INSERTs): 10 000 operations (most
 * finished over the last 3 days, 300 open of which 50 are stuck), 1 000 dead
 * letters over 5 tasks, the webhook inbox, the outbox with a backlog, the
 * per-minute egress history of 5 dependencies × 60 minutes × 3 instances,
 * request lineage for 5 000 of the operations and an audit trail.
 */
import { createPool, UNBOUNDED_STATEMENT } from '@steadfast/toolkit/postgres';

export const SEED = {
  operations: 10_000,
  open: 300,
  /** the open operations older than 5 min */
  stuck: 50,
  deadLetters: 1_000,
  inbox: 3_000,
  outbox: 5_000,
  /** operations with lineage: a POST …/pay request, a poll, a pricing and 1–2 payment attempts each */
  withLineage: 5_000,
  otherRequests: 2_000,
  audit: 1_500,
  dependencies: ['pricing', 'payments', 'messaging', 'recommendations', 'analytics'],
  instances: ['web-a', 'web-b', 'worker-a'],
  minutes: 60,
} as const;

/** a text[] literal of our own constant names (no quotes in them) */
const texts = (names: readonly string[]) => `ARRAY[${names.map((n) => `'${n}'`).join(', ')}]`;
const id = (prefix: string, n: string) => `'${prefix}_' || lpad((${n})::text, 26, '0')`;
/** the request id a request for operation i had: req_ + 16 characters, like the app's */
const requestId = (n: string) => `'req_' || lpad(to_hex(${n}), 16, '0')`;

export const benchIds = {
  operation: (i: number) => `op_${String(i).padStart(26, '0')}`,
  requestOf: (i: number) => `req_${i.toString(16).padStart(16, '0')}`,
  deadLetter: (i: number) => `dl_${String(i).padStart(26, '0')}`,
};

/** the history `scale` times as long (open work and the egress history stay as they are) */
export function seedCounts(scale = 1) {
  const times = (n: number) => Math.round(n * scale);
  return {
    ...SEED,
    operations: times(SEED.operations),
    deadLetters: times(SEED.deadLetters),
    inbox: times(SEED.inbox),
    outbox: times(SEED.outbox),
    withLineage: times(SEED.withLineage),
    otherRequests: times(SEED.otherRequests),
    audit: times(SEED.audit),
  };
}

const statements = (c: ReturnType<typeof seedCounts>) => [
  // operations: 1..open are open, i × 1.2 s old (the last `stuck` ones older than 5 min)
  `INSERT INTO operations (id, tenant_id, kind, status, resource, result, error, last_error,
                           created_at, updated_at, finished_at, request_id)
   SELECT ${id('op', 'i')}, ${id('ten', 'i % 20')}, CASE WHEN i % 4 = 0 THEN 'order.refund' ELSE 'order.pay' END,
          s.status, '/v1/orders/' || ${id('ord', 'i')},
          CASE WHEN s.status = 'succeeded' THEN jsonb_build_object('chargeId', 'ch_' || i) END,
          CASE WHEN s.status = 'failed' THEN '{"type":"https://steadfast.dev/problems/payment-declined","title":"Payment declined"}'::jsonb END,
          CASE WHEN s.status IN ('failed', 'running') AND i % 2 = 0
               THEN '{"type":"https://steadfast.dev/problems/partner-timeout","title":"The payments partner timed out"}'::jsonb END,
          c.at, c.at + interval '2 seconds',
          CASE WHEN s.status NOT IN ('pending', 'running') THEN c.at + random() * interval '90 seconds' END,
          ${requestId('i')}
   FROM generate_series(1, ${c.operations}) i
   CROSS JOIN LATERAL (SELECT CASE WHEN i <= ${c.open} THEN (CASE WHEN i % 3 = 0 THEN 'running' ELSE 'pending' END)
                                   WHEN i % 10 = 0 THEN 'failed' WHEN i % 97 = 0 THEN 'canceled'
                                   ELSE 'succeeded' END AS status) s
   CROSS JOIN LATERAL (SELECT CASE WHEN i <= ${c.open} THEN now() - i * interval '1.2 seconds'
                                   ELSE now() - random() * interval '3 days' END AS at) c`,
  // dead letters: 5 tasks, mostly dead, every 10th replayed, every 15th discarded
  `INSERT INTO dead_letters (id, tenant_id, task, payload, attempts, error_category, error_message, status,
                             discard_reason, first_failed_at, last_failed_at, replayed_at, created_at)
   SELECT ${id('dl', 'i')}, ${id('ten', 'i % 20')}, t.task,
          jsonb_build_object('operationId', ${id('op', 'i * 7')}, 'orderId', ${id('ord', 'i * 7')}, 'eventId', ${id('evt', 'i')}),
          25, (ARRAY['timeout', 'partner-5xx', 'network', 'malformed'])[1 + i % 4],
          'payments partner: ' || (ARRAY['timed out after 3000 ms', '503 Service Unavailable', 'ECONNRESET', 'unexpected body'])[1 + i % 4],
          s.status, CASE WHEN s.status = 'discarded' THEN 'order cancelled by the customer' END,
          f.at, f.at + interval '40 minutes', CASE WHEN s.status = 'replayed' THEN f.at + interval '2 hours' END,
          f.at + interval '40 minutes'
   FROM generate_series(1, ${c.deadLetters}) i
   CROSS JOIN LATERAL (SELECT (ARRAY['pay-order', 'pay-order', 'deliver-outbox', 'process-webhook', 'refund-order', 'notify-customer'])[1 + i % 6] AS task) t
   CROSS JOIN LATERAL (SELECT CASE WHEN i % 15 = 0 THEN 'discarded' WHEN i % 10 = 0 THEN 'replayed' ELSE 'dead' END AS status) s
   CROSS JOIN LATERAL (SELECT now() - random() * interval '5 days' AS at) f`,
  // webhook inbox: processed, ignored with reasons, every 100th failed, the last 10 still received
  `INSERT INTO webhook_inbox (id, source, webhook_id, event_type, payload, raw_body, headers, status, reason,
                              attempts, next_attempt_at, received_at, processed_at)
   SELECT ${id('whk', 'i')}, 'payments', 'msg_' || i, e.type, e.payload, convert_to(e.payload::text, 'UTF8'),
          '{"webhook-id":"x"}'::jsonb, s.status,
          CASE WHEN s.status = 'ignored' THEN (ARRAY['stale: order already paid', 'unknown charge', 'event older than the order'])[1 + i % 3]
               WHEN s.status = 'failed' THEN 'order store unavailable' END,
          CASE WHEN s.status = 'failed' THEN 10 ELSE 1 END, r.at, r.at,
          CASE WHEN s.status IN ('processed', 'ignored') THEN r.at + interval '150 milliseconds' END
   FROM generate_series(1, ${c.inbox}) i
   CROSS JOIN LATERAL (SELECT CASE WHEN i > ${c.inbox - 10} THEN 'received' WHEN i % 100 = 0 THEN 'failed'
                                   WHEN i % 8 = 0 THEN 'ignored' ELSE 'processed' END AS status) s
   CROSS JOIN LATERAL (SELECT CASE WHEN i > ${c.inbox - 10} THEN now() - interval '20 seconds'
                                   ELSE now() - random() * interval '2 days' END AS at) r
   CROSS JOIN LATERAL (SELECT CASE WHEN i % 5 = 0 THEN 'charge.failed' ELSE 'charge.succeeded' END AS type) t
   CROSS JOIN LATERAL (SELECT t.type AS type, jsonb_build_object('type', t.type, 'data', jsonb_build_object('charge',
                         jsonb_build_object('id', 'ch_' || i, 'reference', 'pay:' || ${id('ord', 'i')} || ':1'))) AS payload) e`,
  // outbox: delivered, a pending backlog of 180 from the last 10 minutes, 20 dead
  `INSERT INTO outbox (id, tenant_id, type, payload, status, attempts, next_attempt_at, last_error, created_at, delivered_at)
   SELECT ${id('evt', 'i')}, ${id('ten', 'i % 20')}, 'order.paid', jsonb_build_object('orderId', ${id('ord', 'i')}),
          s.status, CASE WHEN s.status = 'delivered' THEN 1 ELSE 8 END, c.at,
          CASE WHEN s.status <> 'delivered' THEN 'messaging partner: 503' END, c.at,
          CASE WHEN s.status = 'delivered' THEN c.at + interval '1 second' END
   FROM generate_series(1, ${c.outbox}) i
   CROSS JOIN LATERAL (SELECT CASE WHEN i > ${c.outbox - 180} THEN 'pending' WHEN i % 250 = 0 THEN 'dead'
                                   ELSE 'delivered' END AS status) s
   CROSS JOIN LATERAL (SELECT CASE WHEN i > ${c.outbox - 180} THEN now() - random() * interval '10 minutes'
                                   ELSE now() - random() * interval '3 days' END AS at) c`,
  // lineage: the POST …/pay that started operation i, and one poll of it
  `INSERT INTO lineage_requests (at, request_id, tenant_id, method, route, status, duration_ms, idempotency_key,
                                 idempotency_outcome, refs)
   SELECT o.created_at, o.request_id, o.tenant_id, 'POST', '/v1/orders/{id}/pay', 202, 12.5, 'idem-' || o.id,
          'executed', ARRAY[substr(o.resource, 12), o.id]
   FROM operations o WHERE o.id <= ${id('op', String(c.withLineage))}
   UNION ALL
   SELECT o.created_at + interval '1 second', 'req_p' || substr(o.id, 16), o.tenant_id, 'GET', '/v1/operations/{id}',
          200, 3.1, NULL, NULL, ARRAY[o.id]
   FROM operations o WHERE o.id <= ${id('op', String(c.withLineage))}
   UNION ALL
   SELECT now() - random() * interval '3 days', ${requestId('1000000 + i')}, ${id('ten', 'i % 20')}, 'GET',
          '/v1/orders', 200, 4.2, NULL, NULL, '{}'
   FROM generate_series(1, ${c.otherRequests}) i`,
  // lineage: the pricing attempt of the request, the worker's payment attempts (every 5th timed out first)
  `INSERT INTO lineage_attempts (at, request_id, dependency, method, route, status, duration_ms, attempt, kind,
                                 outcome, rejected_by, error, idempotency_key)
   SELECT o.created_at, o.request_id, 'pricing', 'POST', '/quotes', 200, 8, 1, 'success', 'ok', NULL, NULL, NULL
   FROM operations o WHERE o.id <= ${id('op', String(c.withLineage))}
   UNION ALL
   SELECT o.created_at + interval '1 second', o.id, 'payments', 'POST', '/charges', NULL, 3000, 1, 'timeout',
          'retried', NULL, 'timed out after 3000 ms', 'pay:' || substr(o.resource, 12) || ':1'
   FROM operations o WHERE o.id <= ${id('op', String(c.withLineage))} AND right(o.id, 1) IN ('0', '5')
   UNION ALL
   SELECT o.created_at + interval '4 seconds', o.id, 'payments', 'POST', '/charges', 201, 40, 2, 'success',
          'ok', NULL, NULL, 'pay:' || substr(o.resource, 12) || ':1'
   FROM operations o WHERE o.id <= ${id('op', String(c.withLineage))}`,
  // egress history: every (minute, instance, dependency) of the last hour; the payments partner had a bad spell
  `INSERT INTO egress_minutes (minute, instance_id, dependency, counts, stale, latency_buckets, updated_at)
   SELECT date_trunc('minute', now()) - m * interval '1 minute', inst, dep,
          ARRAY[600 + (m * 7) % 50, CASE WHEN dep = 'payments' AND m BETWEEN 10 AND 20 THEN 40 ELSE m % 3 END,
                m % 5, 0, 2, CASE WHEN m % 17 = 0 THEN 1 ELSE 0 END, 0,
                CASE WHEN dep = 'payments' AND m BETWEEN 12 AND 18 THEN 120 ELSE 0 END],
          CASE WHEN dep = 'recommendations' THEN m % 4 ELSE 0 END,
          ARRAY[50, 200, 250, 80, 20, 5, 2, 1, 0, CASE WHEN dep = 'payments' AND m BETWEEN 10 AND 20 THEN 40 ELSE 0 END, 0, 0],
          now()
   FROM generate_series(0, ${c.minutes - 1}) m, unnest(${texts(c.instances)}) inst, unnest(${texts(c.dependencies)}) dep`,
  `INSERT INTO egress_instances (instance_id, dependency, breaker, budget_remaining, last_errors, updated_at)
   SELECT inst, dep, CASE WHEN dep = 'payments' AND inst = 'web-b' THEN 'half-open' ELSE 'closed' END, 0.9,
          (SELECT jsonb_agg(jsonb_build_object('at', now() - k * interval '1 minute', 'kind', 'timeout', 'status', NULL,
                  'method', 'POST', 'route', '/charges', 'attempt', 1, 'requestId', ${id('op', 'k')},
                  'idempotencyKey', 'pay:' || ${id('ord', 'k')} || ':1', 'error', 'timed out after 3000 ms'))
           FROM generate_series(1, 5) k),
          now()
   FROM unnest(${texts(c.instances)}) inst, unnest(${texts(c.dependencies)}) dep`,
  // the audit of the replays and discards above, and sign-ins
  `INSERT INTO admin_audit (at, actor, via, action, target, detail)
   SELECT now() - (i * interval '3 minutes'), 'operator:opr_bench', (ARRAY['console', 'api'])[1 + i % 2],
          (ARRAY['dead-letter.replay', 'dead-letter.discard', 'console.sign-in'])[1 + i % 3], ${id('dl', 'i')},
          jsonb_build_object('reason', 'bench')
   FROM generate_series(1, ${c.audit}) i`,
];

/** seeds the database at `url` on a connection of its own: at a large scale an INSERT runs longer than a request may */
export async function seedConsoleHistory(url: string, scale = 1): Promise<void> {
  if (!(scale >= 1)) throw new Error(`seed scale must be >= 1 (the traced ids need it), not ${scale}`);
  const pool = createPool({ connectionString: url, max: 1, ...UNBOUNDED_STATEMENT });
  try {
    for (const sql of [...statements(seedCounts(scale)), 'ANALYZE']) await pool.query(sql);
  } finally {
    await pool.end();
  }
}
