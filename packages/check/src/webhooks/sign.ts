/**
 * Standard Webhooks signing with node:crypto: HMAC-SHA256 over
 * `${id}.${timestamp}.${body}`, base64, `v1,` prefix; the key is the base64
 * after `whsec_`. (The `standardwebhooks` package would add a dependency for
 * these few lines, and its `sign` decodes the body to a string first.)
 */
import { createHmac } from 'node:crypto';

export function secretKey(secret: string): Buffer {
  const key = Buffer.from(secret.startsWith('whsec_') ? secret.slice('whsec_'.length) : secret, 'base64');
  if (key.length === 0) throw new Error('the secret must be whsec_ followed by base64');
  return key;
}

/** Whether the secret is usable: `whsec_` + base64 of at least one byte. */
export function validSecret(secret: string): boolean {
  return /^whsec_[A-Za-z0-9+/]+={0,2}$/.test(secret) && secretKey(secret).length > 0;
}

export function sign(secret: string, id: string, timestampS: number, body: string): string {
  return `v1,${createHmac('sha256', secretKey(secret)).update(`${id}.${timestampS}.${body}`).digest('base64')}`;
}

/** A secret nobody shares with the receiver (for forged signatures and rotation). */
export function randomSecret(random: () => number): string {
  const bytes = Buffer.from(Array.from({ length: 24 }, () => Math.floor(random() * 256)));
  return `whsec_${bytes.toString('base64')}`;
}

export function randomId(random: () => number, prefix = 'msg_'): string {
  return `${prefix}${Array.from({ length: 20 }, () => Math.floor(random() * 36).toString(36)).join('')}`;
}
