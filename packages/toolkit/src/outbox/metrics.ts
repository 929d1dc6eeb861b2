/** Outbox backlog gauges, read from the table when scraped (one query each, none per request). */

import type { Registry } from 'prom-client';
import { type BackgroundErrors, createQueryGauge } from '../observability/index.ts';
import type { Queryable } from '../postgres/index.ts';

export function createOutboxMetrics(options: {
  registry: Registry;
  db: Queryable;
  errors: BackgroundErrors;
}) {
  const { registry, db, errors } = options;
  // both read the pending rows through the partial index outbox_due_idx
  const pending = createQueryGauge({
    registry,
    errors,
    name: 'steadfast_outbox_pending',
    help: 'Outbox events not yet delivered (pending, due or waiting for a retry)',
    read: async () => {
      const { rows } = await db.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM outbox WHERE status = 'pending'`,
      );
      return [{ value: rows[0].n }];
    },
  });
  const oldestAge = createQueryGauge({
    registry,
    errors,
    name: 'steadfast_outbox_oldest_pending_age_seconds',
    help: 'Age of the oldest undelivered outbox event (0 when none): how late notifications are',
    read: async () => {
      const { rows } = await db.query<{ age: number }>(
        `SELECT coalesce(extract(epoch FROM now() - min(created_at)), 0)::float8 AS age
         FROM outbox WHERE status = 'pending'`,
      );
      return [{ value: rows[0].age }];
    },
  });
  return { pending, oldestAge };
}

export type OutboxMetrics = ReturnType<typeof createOutboxMetrics>;
