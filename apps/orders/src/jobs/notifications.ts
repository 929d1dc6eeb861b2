/**
 * Deliver outbox events as notifications through the messaging partner, with
 * the stable key `notify:<eventId>` so a retried delivery is one message.
 * Recipient: the order's customer email (its `customer`, else customer_email on a row the
 * backfill has not reached: docs/evolution.md), else the tenant's contact address.
 */
import type { OutboxEvent } from '@steadfast/toolkit/outbox';
import type { Pool } from '@steadfast/toolkit/postgres';
import type { Partners } from '../partners/index.ts';

export function notificationDeliverer(db: Pool, messaging: Partners['messaging']) {
  return async (event: OutboxEvent): Promise<void> => {
    const { rows } = await db.query<{ to: string | null }>(
      `SELECT coalesce(o.customer->>'email', o.customer_email, t.contact_email) AS to
       FROM tenants t LEFT JOIN orders o ON o.id = $2 AND o.tenant_id = t.id WHERE t.id = $1`,
      [event.tenantId, event.payload.orderId ?? null],
    );
    const to = rows[0]?.to;
    if (!to) return; // nobody to tell: delivered as a no-op
    await messaging.send({
      to,
      template: event.type,
      data: { ...event.payload, eventId: event.id },
      key: `notify:${event.id}`,
    });
  };
}
