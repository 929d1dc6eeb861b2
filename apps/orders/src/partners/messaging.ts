/** The messaging partner (deferred): notifications are sent later by the outbox, with a stable key. */
import type { DependencyClient } from '@steadfast/toolkit/resilience';

export interface Message {
  to: string;
  template: string;
  data: Record<string, unknown>;
  /** stable per notification, e.g. `notify:<eventId>` */
  key: string;
}

export function createMessagingAdapter(client: DependencyClient) {
  return {
    async send(message: Message): Promise<{ id: string }> {
      const { body } = await client.request<{ id?: unknown }>({
        method: 'POST',
        path: '/v1/messages',
        route: '/v1/messages',
        body: { to: message.to, template: message.template, data: message.data },
        idempotencyKey: message.key,
      });
      return { id: String(body?.id ?? '') };
    },
  };
}
