/** The dependencies page (the whole deployment's history) and the work-in-flight page, read from real rows. */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createEgressHistory, type EgressSource } from '@steadfast/toolkit/egress-history';
import type { EgressAttempt } from '@steadfast/toolkit/resilience';
import { buildTestApp, type TestApp } from '../testing.ts';
import { type ConsoleVisitor, consoleVisitor } from './testing.ts';

let app: TestApp;
let visitor: ConsoleVisitor;
before(async () => {
  app = await buildTestApp();
  visitor = consoleVisitor(app.server);
  await visitor.signIn(app.operatorKey);
});
after(() => app.close());

function source(name: string, breaker: 'closed' | 'open') {
  const listeners = new Set<(a: EgressAttempt) => void>();
  const s: EgressSource = {
    name,
    onAttempt: (l) => {
      listeners.add(l);
      return { dispose: () => listeners.delete(l) };
    },
    status: () => ({ breaker, budgetRemaining: breaker === 'open' ? 0 : 12 }),
  };
  const emit = (kind: EgressAttempt['kind'], requestId: string, status?: number) => {
    for (const l of listeners)
      l({
        dependency: name,
        method: 'GET',
        route: '/prices/{sku}',
        status,
        durationMs: kind === 'timeout' ? 300 : 8,
        attempt: 1,
        outcome: kind === 'success' ? 'success' : 'transient',
        kind,
        requestId,
        error: kind === 'success' ? undefined : `pricing ${kind}`,
        at: Date.now(),
      });
  };
  return { source: s, emit };
}

test('dependencies: two instances summed; an open breaker on one shows as open, with timeouts and their request ids', async () => {
  const errors = app.built.errors;
  const web1 = createEgressHistory({ db: app.db.pool, instanceId: 'web-1', errors });
  const web2 = createEgressHistory({ db: app.db.pool, instanceId: 'web-2', errors });
  const a = source('pricing', 'closed');
  const b = source('pricing', 'open');
  web1.attach(a.source);
  web2.attach(b.source);
  for (let i = 0; i < 7; i++) a.emit('success', `req_ok${i}`, 200);
  for (let i = 0; i < 3; i++) b.emit('timeout', `req_slow${i}`);
  b.emit('5xx', 'req_five', 503);
  assert.equal(await web1.flush(), true);
  assert.equal(await web2.flush(), true);

  const page = await visitor.get('/console/dependencies');
  assert.equal(page.statusCode, 200);
  const row = /<tr data-dependency="pricing">(.*?)<\/tr>/s.exec(page.body)?.[1] ?? '';
  assert.match(row, /data-breaker="open"/, 'the worst fresh instance');
  assert.match(row, /<td class="num">4<\/td>$/, 'four failures in the hour');
  assert.match(page.body, /<span data-kind="timeout">.*?<b>3<\/b>/s);
  assert.match(page.body, /<span data-kind="success">.*?<b>7<\/b>/s);
  assert.match(page.body, /<rect [^>]*data-kind="timeout"/);
  assert.match(page.body, /href="\/console\/lineage\?q=req_slow2"/);
  assert.match(page.body, /web-1: closed/);
  assert.match(page.body, /web-2: open/);
  await web1.stop();
  await web2.stop();
});

test('work in flight: an old open operation is stuck; inbox lag, failures and ignored reasons; outbox backlog; dead letters by task', async () => {
  const db = app.db.pool;
  const tenant = app.tenant.tenantId;
  await db.query(
    `INSERT INTO operations (id, tenant_id, kind, status, resource, created_at, updated_at)
     VALUES ('op_old', $1, 'payment', 'running', '/v1/orders/ord_1', now() - interval '20 minutes', now()),
            ('op_new', $1, 'payment', 'pending', '/v1/orders/ord_2', now(), now())`,
    [tenant],
  );
  await db.query(
    `INSERT INTO webhook_inbox (id, source, webhook_id, event_type, payload, raw_body, headers, status, reason, received_at)
     VALUES ('whk_1', 'payments', 'msg_1', 'charge.succeeded', '{}', '{}', '{}', 'received', NULL, now() - interval '3 minutes'),
            ('whk_2', 'payments', 'msg_2', 'charge.succeeded', '{}', '{}', '{}', 'ignored', 'unknown charge', now()),
            ('whk_3', 'payments', 'msg_3', 'charge.succeeded', '{}', '{}', '{}', 'ignored', 'unknown charge', now()),
            ('whk_4', 'payments', 'msg_4', 'charge.failed', '{}', '{}', '{}', 'failed', 'not JSON', now())`,
  );
  await db.query(
    `INSERT INTO outbox (id, tenant_id, type, payload, status, created_at) VALUES
       ('evt_1', $1, 'order.paid', '{}', 'pending', now() - interval '2 minutes'), ('evt_2', $1, 'order.paid', '{}', 'delivered', now())`,
    [tenant],
  );
  await db.query(
    `INSERT INTO dead_letters (id, tenant_id, task, payload, attempts, error_category, error_message, first_failed_at, last_failed_at)
     VALUES ('dl_a', $1, 'take-payment', '{}', 5, 'transient', 'x', now(), now()), ('dl_b', $1, 'take-payment', '{}', 5, 'transient', 'x', now(), now())`,
    [tenant],
  );
  const page = await visitor.get('/console/work');
  assert.equal(page.statusCode, 200);
  assert.match(page.body, /<tr class="stuck" data-operation="op_old">/);
  assert.match(page.body, /<tr class="" data-operation="op_new">/);
  assert.match(
    page.body,
    /data-card="Stuck \(&gt; 5 min\)"><div class="muted">[^<]*<\/div><div class="value">1</,
  );
  assert.match(
    page.body,
    /data-card="Inbox lag"><div class="muted">Inbox lag<\/div><div class="value">3 min</,
  );
  assert.match(page.body, /<td>unknown charge<\/td><td class="num">2<\/td>/);
  assert.match(page.body, /not JSON/);
  assert.match(
    page.body,
    /data-card="Outbox backlog"><div class="muted">Outbox backlog<\/div><div class="value">1</,
  );
  assert.match(page.body, /take-payment<\/a><\/td><td class="num">2</);
});

test('API versions: the tenants still calling a deprecated version come first, highlighted', async () => {
  await app.db.pool.query(
    `INSERT INTO api_version_usage (partition, version, requests, first_seen_at, last_seen_at) VALUES
       ('ten_new', '2026-12-01', 40, now(), now()), ('ten_old', '2026-06-01', 7, now(), now())`,
  );
  const page = await visitor.get('/console/versions');
  assert.equal(page.statusCode, 200);
  const order = [...page.body.matchAll(/<tr data-partition="([^"]+)" class="([^"]*)"/g)].map((m) => [
    m[1],
    m[2],
  ]);
  assert.deepEqual(order, [
    ['ten_old', 'stuck'],
    ['ten_new', ''],
  ]);
  assert.match(page.body, /2026-06-01 <span class="badge dead">deprecated<\/span>/);
});
