/**
 * createWebhookVerifier on its own: which headers it needs, the timestamp's
 * form and tolerance, the signature list (`v1,…` entries among others), the
 * bytes it signs and the secrets it accepts. Signatures are computed here as
 * the Standard Webhooks spec defines them: base64 HMAC-SHA256 of
 * `{id}.{timestamp}.{body}` keyed with the secret's base64-decoded bytes.
 */
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, test } from 'node:test';
import { createWebhookVerifier } from './verify.ts';

/** 32 bytes 0x01..0x20 in base64 */
const KEY_B64 = 'AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA=';
const SECRET = `whsec_${KEY_B64}`;
const OTHER_SECRET = 'whsec_ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8=';
const NOW_S = 1_767_225_600; // 2026-01-01T00:00:00Z
const NOW_MS = NOW_S * 1000;
const BODY = '{"type":"invoice.paid"}';

function sign(body: string | Buffer, id: string, timestamp: string, keyB64 = KEY_B64): string {
  return createHmac('sha256', Buffer.from(keyB64, 'base64'))
    .update(`${id}.${timestamp}.`)
    .update(body)
    .digest('base64');
}

function headers(overrides: Record<string, string | string[] | undefined> = {}) {
  const timestamp = String(NOW_S);
  return {
    'webhook-id': 'msg_1',
    'webhook-timestamp': timestamp,
    'webhook-signature': `v1,${sign(BODY, 'msg_1', timestamp)}`,
    ...overrides,
  };
}

describe('createWebhookVerifier', () => {
  const verifier = createWebhookVerifier([SECRET]);

  test('a correct v1 signature over the body verifies', () => {
    assert.deepEqual(verifier.verify(BODY, headers(), NOW_MS), { ok: true });
  });

  test('each of the three headers missing alone, or sent twice (an array), is headers-missing', () => {
    for (const name of ['webhook-id', 'webhook-timestamp', 'webhook-signature']) {
      assert.deepEqual(
        verifier.verify(BODY, headers({ [name]: undefined }), NOW_MS),
        { ok: false, reason: 'headers-missing' },
        `${name} missing`,
      );
    }
    const twice = headers();
    const id = verifier.verify(BODY, { ...twice, 'webhook-id': ['msg_1', 'msg_1'] }, NOW_MS);
    assert.deepEqual(id, { ok: false, reason: 'headers-missing' });
  });

  test('a timestamp must be 1 to 12 digits and nothing else, even when the signature covers it', () => {
    for (const timestamp of [`x${NOW_S}`, `${NOW_S}x`, ` ${NOW_S}`, '', `0${NOW_S}00`]) {
      const signed = headers({
        'webhook-timestamp': timestamp,
        'webhook-signature': `v1,${sign(BODY, 'msg_1', timestamp)}`,
      });
      assert.deepEqual(
        verifier.verify(BODY, signed, NOW_MS),
        { ok: false, reason: 'timestamp-out-of-tolerance' },
        `timestamp ${JSON.stringify(timestamp)}`,
      );
    }
  });

  test('the tolerance: exactly 300 s away either side is accepted, one second more is not', () => {
    for (const [offsetS, ok] of [
      [300, true],
      [-300, true],
      [301, false],
      [-301, false],
    ] as const) {
      const verdict = verifier.verify(BODY, headers(), NOW_MS + offsetS * 1000);
      assert.deepEqual(
        verdict,
        ok ? { ok: true } : { ok: false, reason: 'timestamp-out-of-tolerance' },
        `now ${offsetS} s after the timestamp`,
      );
    }
    const strict = createWebhookVerifier([SECRET], 10);
    assert.deepEqual(strict.verify(BODY, headers(), NOW_MS + 10_000), { ok: true });
    assert.deepEqual(strict.verify(BODY, headers(), NOW_MS + 11_000), {
      ok: false,
      reason: 'timestamp-out-of-tolerance',
    });
  });

  test('several signatures: any v1 entry that matches verifies; other versions and malformed entries are skipped', () => {
    const good = sign(BODY, 'msg_1', String(NOW_S));
    const wrong = sign(BODY, 'msg_1', String(NOW_S), 'ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8=');
    const cases: [string, boolean][] = [
      [`v1,${wrong} v1,${good}`, true],
      [`v1,${good} v1,${wrong}`, true],
      [`v1,short v1,${good}`, true],
      [`v1 v1, v1,${good}`, true],
      [`v2,${good} v1a,${good}`, false],
      [`v2,${good}`, false],
      [`v1,${wrong}`, false],
      ['v1,', false],
      ['v1', false],
      [good, false],
    ];
    for (const [signature, ok] of cases) {
      assert.deepEqual(
        verifier.verify(BODY, headers({ 'webhook-signature': signature }), NOW_MS),
        ok ? { ok: true } : { ok: false, reason: 'signature-invalid' },
        signature,
      );
    }
  });

  test('the body as a string or as the same bytes in a Buffer verifies alike; other bytes do not', () => {
    assert.deepEqual(verifier.verify(Buffer.from(BODY), headers(), NOW_MS), { ok: true });
    assert.deepEqual(verifier.verify('{"type":"invoice.voided"}', headers(), NOW_MS), {
      ok: false,
      reason: 'signature-invalid',
    });
    const bytes = Buffer.from([0x7b, 0xff, 0x7d]);
    const signed = headers({ 'webhook-signature': `v1,${sign(bytes, 'msg_1', String(NOW_S))}` });
    assert.deepEqual(verifier.verify(bytes, signed, NOW_MS), { ok: true });
  });

  test('the signature covers the id and the timestamp', () => {
    assert.deepEqual(verifier.verify(BODY, headers({ 'webhook-id': 'msg_2' }), NOW_MS), {
      ok: false,
      reason: 'signature-invalid',
    });
    const later = String(NOW_S + 1);
    assert.deepEqual(verifier.verify(BODY, headers({ 'webhook-timestamp': later }), NOW_MS), {
      ok: false,
      reason: 'signature-invalid',
    });
  });

  test('secrets: whsec_ prefixed or bare base64, several at once (rotation)', () => {
    assert.deepEqual(createWebhookVerifier([KEY_B64]).verify(BODY, headers(), NOW_MS), { ok: true });
    const rotating = createWebhookVerifier([OTHER_SECRET, SECRET]);
    assert.deepEqual(rotating.verify(BODY, headers(), NOW_MS), { ok: true });
    assert.deepEqual(createWebhookVerifier([OTHER_SECRET]).verify(BODY, headers(), NOW_MS), {
      ok: false,
      reason: 'signature-invalid',
    });
  });

  test('an empty or non-base64 secret is refused when the verifier is made', () => {
    for (const secret of ['whsec_', '', 'whsec_!!!!', '****']) {
      assert.throws(
        () => createWebhookVerifier([SECRET, secret]),
        { name: 'Error', message: 'a webhook secret must be base64 (whsec_…)' },
        JSON.stringify(secret),
      );
    }
  });
});
