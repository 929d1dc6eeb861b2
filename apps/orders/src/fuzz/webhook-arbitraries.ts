/** Webhook deliveries: an event as the payments partner sends it, broken in places, signed or not. */
import fc from 'fast-check';
import { choice, nastyValue, RAW_BODIES } from './nasty-values.ts';
import type { FuzzBody, FuzzOperation, WebhookDelivery } from './openapi-arbitraries.ts';
import { type JsonSchema, mutatedValue, validValue } from './schema-arbitraries.ts';

/** A Standard Webhooks event as the payments partner sends it; the body mutates it. */
const WEBHOOK_EVENT: JsonSchema = {
  type: 'object',
  required: ['id', 'type', 'createdAt', 'data'],
  properties: {
    id: { type: 'string', pattern: '^evt_[a-z0-9]{8}$' },
    type: { enum: ['charge.succeeded', 'charge.failed', 'charge.refunded', 'unknown.kind'] },
    createdAt: { type: 'string', format: 'date-time' },
    data: {
      type: 'object',
      required: ['charge'],
      properties: {
        charge: {
          type: 'object',
          required: ['id', 'status'],
          properties: {
            id: { type: 'string', pattern: '^ch_[a-z0-9]{6}$' },
            status: { enum: ['succeeded', 'failed', 'pending'] },
            amount: { type: 'integer', minimum: 0, maximum: 100000 },
            currency: { type: 'string', pattern: '^[A-Z]{3}$' },
            reference: { type: 'string', pattern: '^ord_[0-9a-hjkmnp-tv-z]{26}$' },
          },
        },
      },
    },
  },
};

export const webhookOf = (op: FuzzOperation): fc.Arbitrary<WebhookDelivery | null> =>
  op.webhook
    ? fc.record({
        signature: fc.constantFrom('valid', 'valid', 'valid', 'wrong-secret', 'none', 'garbage'),
        id: choice(['fresh', 'reused'], ['x'.repeat(300), 'x'.repeat(10_000), ' ', 'msg_é', '"quoted"'], 6),
        timestampOffsetS: fc.oneof(fc.constant(0), fc.integer({ min: -1_000, max: 1_000 })),
      })
    : fc.constant(null);

/** Webhook bodies: event-shaped with nasty values, or anything at all. */
export function webhookBodyArbitrary(): fc.Arbitrary<FuzzBody> {
  return fc.oneof(
    { arbitrary: mutatedValue(WEBHOOK_EVENT).map((value): FuzzBody => ({ kind: 'json', value })), weight: 4 },
    { arbitrary: validValue(WEBHOOK_EVENT).map((value): FuzzBody => ({ kind: 'json', value })), weight: 2 },
    { arbitrary: nastyValue().map((value): FuzzBody => ({ kind: 'json', value })), weight: 2 },
    { arbitrary: fc.constantFrom(...RAW_BODIES).map((text): FuzzBody => ({ kind: 'raw', text })), weight: 1 },
  );
}
