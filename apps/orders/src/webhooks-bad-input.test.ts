/** Signed webhook deliveries of any shape: never a 500, and the inbox list always answers. */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { createFakeClock } from '@steadfast/toolkit/testing';
import { buildTestApp, signedWebhookHeaders, type TestApp } from './testing.ts';

const NEW = `whsec_${Buffer.from('the-new-secret-of-thirty-two-byte').toString('base64')}`;

describe('deliveries of any shape: never a 500, and the inbox list always answers', () => {
  const clock = createFakeClock(Date.now());
  let app: TestApp;
  beforeEach(async () => {
    app = await buildTestApp({ clock, webhooks: { secrets: [NEW] } });
  });
  afterEach(() => app.close());
  const deliverText = (text: string, id = `msg_${randomUUID()}`) => {
    const at = new Date(clock.now());
    return app.inject({
      method: 'POST',
      url: '/webhooks/payments',
      apiKey: null,
      headers: { 'content-type': 'application/json', ...signedWebhookHeaders(NEW, text, { id, at }) },
      payload: text,
    });
  };

  test('a signed delivery with \\u0000, a lone surrogate or 5,000 levels is kept as failed, listed and replayable', async () => {
    const bodies = [
      '{"type":"charge.succeeded","note":"a\\u0000b"}',
      '{"type":"charge.succeeded","note":"\\ud800"}',
      `{"type":"charge.succeeded","data":${'['.repeat(5_000)}${']'.repeat(5_000)}}`,
    ];
    for (const body of bodies) {
      const response = await deliverText(body);
      assert.equal(response.statusCode, 400, response.body);
      assert.equal(response.json().type, '/problems/webhook-payload-invalid');
    }
    const list = await app.inject({
      method: 'GET',
      url: '/v1/webhook-events?status=failed',
      apiKey: app.operatorKey,
    });
    assert.equal(list.statusCode, 200, list.body);
    const failed = list.json().data;
    assert.equal(failed.length, 3);
    for (const event of failed) {
      assert.equal(event.payload, null);
      assert.match(event.reason, /U\+0000|lone surrogate|nests deeper than 32 levels/);
    }
    const replay = await app.inject({
      method: 'POST',
      url: `/v1/webhook-events/${failed[0].id}/replay`,
      apiKey: app.operatorKey,
    });
    assert.equal(replay.statusCode, 200, replay.body);
    assert.equal(replay.json().status, 'received');
  });

  test('a stored payload too deep to serialise (an older row) is left out of the list with the reason, not a 500', async () => {
    const deep = `${'{"a":'.repeat(5_000)}1${'}'.repeat(5_000)}`;
    await app.db.pool.query(
      `INSERT INTO webhook_inbox (id, source, webhook_id, payload, raw_body, headers, status)
       VALUES ('whk_00000000000000000000000001', 'payments', 'msg_deep_old', $1::text::jsonb, convert_to($1::text, 'UTF8'), '{}', 'processed')`,
      [deep],
    );
    const response = await app.inject({ method: 'GET', url: '/v1/webhook-events', apiKey: app.operatorKey });
    assert.equal(response.statusCode, 200, response.body.slice(0, 300));
    const [event] = response.json().data.filter((e: { webhookId: string }) => e.webhookId === 'msg_deep_old');
    assert.equal(event.payload, null);
    assert.equal(event.payloadOmitted, 'payload nests deeper than 256 levels');
  });
});
