/**
 * Standard Webhooks verification with a configurable tolerance and several
 * secrets at once (rotation). The HMAC comes from the `standardwebhooks`
 * library (`sign`); we compare in constant time against every signature sent.
 */
import { timingSafeEqual } from 'node:crypto';
import { Webhook } from 'standardwebhooks';

export type Verdict =
  | { ok: true }
  | { ok: false; reason: 'signature-invalid' | 'timestamp-out-of-tolerance' | 'headers-missing' };

export interface WebhookVerifier {
  verify(rawBody: string, headers: Record<string, string | string[] | undefined>, nowMs: number): Verdict;
}

export function createWebhookVerifier(secrets: string[], toleranceS = 300): WebhookVerifier {
  const signers = secrets.map((s) => new Webhook(s));
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
      const at = new Date(Number(timestamp) * 1000);
      for (const signer of signers) {
        const expected = Buffer.from(signer.sign(id, at, rawBody).split(',')[1]);
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
