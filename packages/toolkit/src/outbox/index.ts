/** @steadfast/toolkit/outbox: events written with the change they announce, delivered in batches, dead-lettered after retries. */
export type { OutboxMetrics } from './metrics.ts';
export { createOutboxMetrics } from './metrics.ts';
export { outboxMigrations } from './migrations.ts';
export type { DispatcherOptions, OutboxEvent } from './outbox.ts';
export { createOutboxDispatcher, reapOutbox, requeueOutboxEvent, writeOutboxEvent } from './outbox.ts';
