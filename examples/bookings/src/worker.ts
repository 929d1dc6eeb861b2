/**
 * The worker: the durable `charge-booking` job and the webhook inbox. A
 * webhook is only a hint: the handler asks the partner what is true before
 * it changes a booking.
 */
import { createIdGenerator } from '@steadfast/toolkit/ids';
import { createJobMetrics, createJobRunner, type TaskDefinition } from '@steadfast/toolkit/jobs';
import { createBackgroundErrors } from '@steadfast/toolkit/observability';
import { createInboxProcessor } from '@steadfast/toolkit/webhooks';
import type { AppDeps } from './app.ts';
import type { Payments } from './payments.ts';

export type WorkerDeps = Omit<AppDeps, 'webhookSecrets'> & { payments: Payments };

export function createWorker({ db, log, payments, metrics, webhookMetrics }: WorkerDeps) {
  const errors = createBackgroundErrors({ log, registry: metrics.registry });
  const ids = createIdGenerator();
  const chargeBooking: TaskDefinition<{ bookingId: string }> = {
    name: 'charge-booking',
    baseDelayMs: 200,
    async run({ bookingId }, { signal }) {
      const { rows } = await db.query<{ id: string; amount: number; currency: string }>(
        `SELECT id, amount, currency FROM bookings WHERE id = $1 AND status = 'pending'`,
        [bookingId],
      );
      if (!rows[0]) return; // confirmed already: a re-run after a crash
      const charge = await payments.charge(rows[0], signal);
      await db.query(
        `UPDATE bookings SET status = 'confirmed', charge_id = $2, version = version + 1 WHERE id = $1 AND status = 'pending'`,
        [bookingId, charge.id],
      );
    },
  };
  const runner = createJobRunner({
    pool: db,
    log,
    errors,
    metrics: createJobMetrics(metrics.registry, db, errors),
    tasks: [chargeBooking],
    newId: (prefix) => ids.next(prefix),
  });

  const inbox = createInboxProcessor({
    db,
    log,
    errors,
    metrics: webhookMetrics,
    async handle(row) {
      const chargeId = (row.payload?.data as { chargeId?: unknown } | undefined)?.chargeId;
      if (typeof chargeId !== 'string') return { status: 'ignored', reason: 'no data.chargeId' };
      const charge = await payments.getCharge(chargeId); // the partner, not the payload, is the truth
      if (charge?.status !== 'refunded')
        return {
          status: 'ignored',
          reason: `the partner says ${chargeId} is ${charge?.status ?? 'unknown'}`,
        };
      const { rowCount } = await db.query(
        `UPDATE bookings SET status = 'refunded', version = version + 1 WHERE charge_id = $1 AND status = 'confirmed'`,
        [chargeId],
      );
      return { status: 'processed', reason: rowCount ? 'refunded' : 'refunded already' };
    },
  });
  return { runner, inbox };
}
