/** A payments partner's `charge.succeeded` delivery, signed with Standard Webhooks: what the benches send to /webhooks/payments. */
import { randomUUID } from 'node:crypto';
import type { Webhook } from 'standardwebhooks';

export function signedChargeDelivery(
  signer: Webhook,
  charge: Record<string, unknown>,
): { body: string; headers: Record<string, string> } {
  const id = `msg_${randomUUID()}`;
  const at = new Date();
  const body = JSON.stringify({
    id: `evt_${randomUUID()}`,
    type: 'charge.succeeded',
    createdAt: at.toISOString(),
    data: { charge: { ...charge, status: 'succeeded' } },
  });
  return {
    body,
    headers: {
      'content-type': 'application/json',
      'webhook-id': id,
      'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
      'webhook-signature': signer.sign(id, at, body),
    },
  };
}
