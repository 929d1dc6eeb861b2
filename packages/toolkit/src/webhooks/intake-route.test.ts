/**
 * The intake route on real Postgres: its OpenAPI schema, the problem each
 * refusal answers with its detail, what is stored with a delivery (the kept
 * request headers, the traceparent, a failed body's reason under the
 * configured nesting limit) and the counters by source and reason.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { RouteOptions } from 'fastify';
import { metricValues, type TestDatabase } from '../testing/index.ts';
import { createInboxDatabase, type IntakeApp, signedHeaders, startIntake } from './intake-harness.ts';

const TRACEPARENT = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';

describe('the webhook intake route', () => {
  let db: TestDatabase;
  let intake: IntakeApp;
  const routes: RouteOptions[] = [];
  before(async () => {
    db = await createInboxDatabase();
    intake = await startIntake({ db: db.pool, routes, observe: true, maxDepth: 2, coalesce: false });
  });
  after(async () => {
    await intake?.app.close();
    await db?.close();
  });

  const rowOf = async (webhookId: string) =>
    (
      await db.pool.query(
        'SELECT status, reason, event_type, payload, headers, traceparent FROM webhook_inbox WHERE webhook_id = $1',
        [webhookId],
      )
    ).rows;

  test('its OpenAPI schema: summary, tag, no API key, an empty 200 and the problems it answers', () => {
    const route = routes.find((r) => r.url === '/webhooks/billing');
    assert.ok(route, 'the intake route was registered');
    assert.equal(route.method, 'POST');
    const schema = route.schema as Record<string, unknown> & { response: Record<string, unknown> };
    assert.equal(schema.summary, 'Webhooks from billing (Standard Webhooks signatures; no API key)');
    assert.deepEqual(schema.tags, ['webhooks']);
    assert.deepEqual(schema.security, []);
    assert.deepEqual(Object.keys(schema.response), ['200', '400', '401', '413', '500', '503']);
    assert.deepEqual(schema.response[200], {
      description: 'Stored (or already stored): empty body',
      type: 'null',
    });
  });

  test('each refusal: its problem type and detail, counted by source and reason', async () => {
    const body = '{"type":"invoice.paid"}';
    const forged = { ...signedHeaders(body, 'msg_forged'), 'webhook-signature': 'v1,AAAA' };
    const stale = { ...signedHeaders(body, 'msg_stale'), 'webhook-timestamp': '1767225000' };
    const { 'webhook-signature': _, ...unsigned } = signedHeaders(body, 'msg_unsigned');
    const cases: [Record<string, string>, number, string, string][] = [
      [forged, 401, 'webhook-signature-invalid', 'The webhook signature does not verify.'],
      [stale, 401, 'webhook-timestamp-out-of-tolerance', 'webhook-timestamp is outside the tolerance.'],
      [unsigned, 401, 'webhook-signature-invalid', 'The webhook signature does not verify.'],
      [
        signedHeaders(body, 'msg with a space'),
        400,
        'webhook-id-invalid',
        'webhook-id must be 1–255 visible ASCII characters; nothing was stored.',
      ],
    ];
    for (const [headers, status, slug, detail] of cases) {
      const response = await intake.deliver(body, headers);
      assert.equal(response.statusCode, status, slug);
      assert.equal(response.json().type, `/problems/${slug}`);
      assert.equal(response.json().detail, detail);
    }
    const { rows } = await db.pool.query('SELECT count(*)::int AS n FROM webhook_inbox');
    assert.equal(rows[0].n, 0, 'nothing was stored');
    assert.deepEqual(
      (await metricValues(intake.metrics.rejected)).sort((a, b) =>
        String(a.labels.reason).localeCompare(String(b.labels.reason)),
      ),
      [
        { labels: { source: 'billing', reason: 'headers-missing' }, value: 1 },
        { labels: { source: 'billing', reason: 'id-invalid' }, value: 1 },
        { labels: { source: 'billing', reason: 'signature-invalid' }, value: 1 },
        { labels: { source: 'billing', reason: 'timestamp-out-of-tolerance' }, value: 1 },
      ],
    );
  });

  test('a signed body that cannot be used: 400 with its reason in the detail, kept as failed', async () => {
    const cases: [string, string, string][] = [
      ['msg_garbled', 'not json', 'unparseable body'],
      ['msg_deep', '{"a":{"b":{}}}', 'body /a/b nests deeper than 2 levels'],
    ];
    for (const [id, body, reason] of cases) {
      const response = await intake.deliver(body, signedHeaders(body, id));
      assert.equal(response.statusCode, 400, id);
      assert.equal(response.json().type, '/problems/webhook-payload-invalid');
      assert.equal(
        response.json().detail,
        `${reason}; the delivery was kept for inspection (status failed). Do not resend it unchanged.`,
      );
      const [row] = await rowOf(id);
      assert.deepEqual([row.status, row.reason, row.event_type, row.payload], ['failed', reason, null, null]);
    }
    const shallow = '{"a":[]}';
    assert.equal((await intake.deliver(shallow, signedHeaders(shallow, 'msg_shallow'))).statusCode, 200);
    assert.deepEqual((await rowOf('msg_shallow'))[0].payload, { a: [] });
  });

  test('the stored headers: the five kept ones that were sent, nothing else', async () => {
    const body = '{"type":"invoice.paid"}';
    const response = await intake.deliver(body, {
      ...signedHeaders(body, 'msg_headers'),
      'user-agent': 'partner/1.0',
      'x-request-id': 'req-42',
      authorization: 'Bearer secret',
      cookie: 'a=b',
      'x-partner': 'p',
    });
    assert.equal(response.statusCode, 200);
    const [row] = await rowOf('msg_headers');
    assert.deepEqual(row.headers, {
      'webhook-id': 'msg_headers',
      'webhook-timestamp': '1767225600',
      'content-type': 'application/json',
      'user-agent': 'partner/1.0',
      'x-request-id': 'req-42',
    });

    const bare = signedHeaders(body, 'msg_bare');
    const { 'content-type': _, ...noType } = bare;
    assert.equal((await intake.deliver(body, { ...noType, 'user-agent': 'partner/1.0' })).statusCode, 200);
    assert.deepEqual((await rowOf('msg_bare'))[0].headers, {
      'webhook-id': 'msg_bare',
      'webhook-timestamp': '1767225600',
      'user-agent': 'partner/1.0',
    });
  });

  test('the request’s traceparent is stored with the delivery, or null', async () => {
    const body = '{"type":"invoice.paid"}';
    const traced = { ...signedHeaders(body, 'msg_traced'), traceparent: TRACEPARENT };
    assert.equal((await intake.deliver(body, traced)).statusCode, 200);
    assert.equal((await rowOf('msg_traced'))[0].traceparent, TRACEPARENT);
    assert.equal((await intake.deliver(body, signedHeaders(body, 'msg_untraced'))).statusCode, 200);
    assert.equal((await rowOf('msg_untraced'))[0].traceparent, null);
  });

  test('received and duplicated are counted by source', async () => {
    intake.metrics.received.reset();
    intake.metrics.duplicated.reset();
    const body = '{"type":"invoice.paid"}';
    const headers = signedHeaders(body, 'msg_counted');
    for (let i = 0; i < 3; i++) assert.equal((await intake.deliver(body, headers)).statusCode, 200);
    assert.deepEqual(await metricValues(intake.metrics.received), [
      { labels: { source: 'billing' }, value: 1 },
    ]);
    assert.deepEqual(await metricValues(intake.metrics.duplicated), [
      { labels: { source: 'billing' }, value: 2 },
    ]);
  });
});
