/**
 * Standard Webhooks verification with a configurable tolerance and several
 * secrets at once (rotation). The HMAC-SHA256 covers `{id}.{timestamp}.` and
 * then the body's exact bytes — not a decoded string, which would turn invalid
 * UTF-8 into U+FFFD before the check (the `standardwebhooks` library's `sign`
 * decodes a Buffer first, so it is not used here). Signatures are compared in
 * constant time against every one sent.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export type Verdict =
  | { ok: true }
  | { ok: false; reason: 'signature-invalid' | 'timestamp-out-of-tolerance' | 'headers-missing' };

export interface WebhookVerifier {
  verify(
    rawBody: Buffer | string,
    headers: Record<string, string | string[] | undefined>,
    nowMs: number,
  ): Verdict;
}

/** A `whsec_…` secret (or bare base64) as the HMAC key, as Standard Webhooks defines it. */
function secretKey(secret: string): Buffer {
  const key = Buffer.from(secret.startsWith('whsec_') ? secret.slice('whsec_'.length) : secret, 'base64');
  if (key.length === 0) throw new Error('a webhook secret must be base64 (whsec_…)');
  return key;
}

export function createWebhookVerifier(secrets: string[], toleranceS = 300): WebhookVerifier {
  const keys = secrets.map(secretKey);
  return {
    verify(rawBody, headers, nowMs) {
      const id = headers['webhook-id'];
      const timestamp = headers['webhook-timestamp'];
      const signature = headers['webhook-signature'];
      if (typeof id !== 'string' || typeof timestamp !== 'string' || typeof signature !== 'string') {
        return { ok: false, reason: 'headers-missing' };
      }
      if (!/^\d{1,12}$/.test(timestamp) || Math.abs(nowMs / 1000 - Number(timestamp)) > toleranceS) {
        return { ok: false, reason: 'timestamp-out-of-tolerance' };
      }
      const sent = signature
        .split(' ')
        .map((part) => part.split(','))
        .filter(([version, value]) => version === 'v1' && value)
        .map(([, value]) => Buffer.from(value));
      const body = typeof rawBody === 'string' ? Buffer.from(rawBody) : rawBody;
      for (const key of keys) {
        const expected = Buffer.from(
          createHmac('sha256', key).update(`${id}.${timestamp}.`).update(body).digest('base64'),
        );
        if (
          sent.some(
            (candidate) => candidate.length === expected.length && timingSafeEqual(candidate, expected),
          )
        ) {
          return { ok: true };
        }
      }
      return { ok: false, reason: 'signature-invalid' };
    },
  };
}
