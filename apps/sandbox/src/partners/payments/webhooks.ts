/**
 * Signed webhook delivery (Standard Webhooks, via `standardwebhooks`): one
 * message per event and endpoint, retried on non-2xx or no answer with
 * exponential backoff. Chaos may drop, duplicate, delay and reorder deliveries.
 */
import { Webhook } from 'standardwebhooks';
import type { ChaosConfig } from '../../chaos/config.ts';
import { between, type Random } from '../../chaos/random.ts';

export interface Endpoint {
  url: string;
  secret: string;
}

export interface WebhookEvent {
  id: string;
  type: string;
  createdAt: string;
  data: unknown;
}

export interface RetryPolicy {
  firstRetryMs: number;
  maxDelayMs: number;
  maxAttempts: number;
  attemptTimeoutMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = {
  firstRetryMs: 1000,
  maxDelayMs: 60_000,
  maxAttempts: 8,
  attemptTimeoutMs: 5000,
};

export interface DeliveryRecord {
  eventId: string;
  type: string;
  url: string;
  attempts: { at: string; status: number | null; error?: string }[];
  state: 'pending' | 'delivered' | 'failed' | 'dropped';
  copy: number;
}

export interface DelivererOptions {
  endpoints: () => Endpoint[];
  chaos: () => ChaosConfig['webhooks'];
  random: () => Random;
  retry: RetryPolicy;
  fetch?: typeof fetch;
  now: () => Date;
}

export function createWebhookDeliverer(options: DelivererOptions) {
  const doFetch = options.fetch ?? fetch;
  const timers = new Set<NodeJS.Timeout>();
  const log: DeliveryRecord[] = [];

  const later = (fn: () => void, ms: number) => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      fn();
    }, ms);
    timers.add(timer);
  };

  async function attempt(record: DeliveryRecord, endpoint: Endpoint, event: WebhookEvent, n: number) {
    const payload = JSON.stringify(event);
    const timestamp = options.now();
    const signature = new Webhook(endpoint.secret).sign(event.id, timestamp, payload);
    let status: number | null = null;
    let error: string | undefined;
    try {
      const response = await doFetch(endpoint.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'webhook-id': event.id,
          'webhook-timestamp': String(Math.floor(timestamp.getTime() / 1000)),
          'webhook-signature': signature,
        },
        body: payload,
        signal: AbortSignal.timeout(options.retry.attemptTimeoutMs),
      });
      status = response.status;
      await response.arrayBuffer().catch(() => {});
    } catch (e) {
      error = (e as Error).message;
    }
    record.attempts.push({ at: timestamp.toISOString(), status, ...(error ? { error } : {}) });
    if (status !== null && status >= 200 && status < 300) {
      record.state = 'delivered';
      return;
    }
    if (n >= options.retry.maxAttempts) {
      record.state = 'failed';
      return;
    }
    const delay = Math.min(options.retry.firstRetryMs * 2 ** (n - 1), options.retry.maxDelayMs);
    later(() => void attempt(record, endpoint, event, n + 1), delay);
  }

  return {
    emit(event: WebhookEvent) {
      const chaos = options.chaos() ?? {};
      const random = options.random();
      for (const endpoint of options.endpoints()) {
        const dropped = random() < (chaos.dropProbability ?? 0);
        const copies = dropped ? 1 : random() < (chaos.duplicateProbability ?? 0) ? 2 : 1;
        for (let copy = 1; copy <= copies; copy++) {
          const record: DeliveryRecord = {
            eventId: event.id,
            type: event.type,
            url: endpoint.url,
            attempts: [],
            state: 'pending',
            copy,
          };
          log.push(record);
          if (dropped) {
            record.state = 'dropped';
            continue;
          }
          let delay = chaos.delayMs ? between(random, chaos.delayMs) : 0;
          if (chaos.reorder) delay += Math.floor(random() * 500);
          later(() => void attempt(record, endpoint, event, 1), delay);
        }
      }
    },
    log: () => log.map((r) => ({ ...r, attempts: [...r.attempts] })),
    reset() {
      for (const t of timers) clearTimeout(t);
      timers.clear();
      log.length = 0;
    },
  };
}

export type WebhookDeliverer = ReturnType<typeof createWebhookDeliverer>;
