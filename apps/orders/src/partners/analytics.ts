/**
 * Analytics (non-critical, fire-and-forget): events go into a bounded
 * in-memory buffer and are sent in batches in the background. A full buffer
 * drops and counts; a failed batch is dropped and counted. A request never
 * waits for analytics and never fails because of it.
 */

import type { DependencyClient } from '@steadfast/toolkit/resilience';
import { Counter, type Registry } from 'prom-client';

export interface AnalyticsOptions {
  client: DependencyClient | undefined;
  registry: Registry;
  maxBuffer?: number;
  batchSize?: number;
  flushIntervalMs?: number;
}

export function createAnalyticsBuffer(options: AnalyticsOptions) {
  const maxBuffer = options.maxBuffer ?? 1000;
  const batchSize = options.batchSize ?? 100;
  const buffer: unknown[] = [];
  const counter = new Counter({
    name: 'steadfast_analytics_events_total',
    help: 'Analytics events by outcome: queued, sent, dropped_full, dropped_failed',
    labelNames: ['outcome'] as const,
    registers: [options.registry],
  });
  let sending = false;

  async function flush() {
    if (sending || buffer.length === 0 || !options.client) return;
    sending = true;
    const batch = buffer.splice(0, batchSize);
    try {
      await options.client.request({
        method: 'POST',
        path: '/v1/events',
        route: '/v1/events',
        body: { events: batch },
      });
      counter.inc({ outcome: 'sent' }, batch.length);
    } catch {
      counter.inc({ outcome: 'dropped_failed' }, batch.length);
    } finally {
      sending = false;
    }
  }
  const timer = setInterval(() => void flush(), options.flushIntervalMs ?? 1000);
  timer.unref();

  return {
    /** synchronous and constant-time: safe on any request path */
    track(event: Record<string, unknown>) {
      if (!options.client) return;
      if (buffer.length >= maxBuffer) {
        counter.inc({ outcome: 'dropped_full' });
        return;
      }
      buffer.push(event);
      counter.inc({ outcome: 'queued' });
      if (buffer.length >= batchSize) void flush();
    },
    pending: () => buffer.length,
    flush,
    stop: () => clearInterval(timer),
  };
}

export type AnalyticsBuffer = ReturnType<typeof createAnalyticsBuffer>;
