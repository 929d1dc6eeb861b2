/**
 * Replaying and discarding dead letters: the one implementation the API
 * routes and the console share. A replay requeues the job with fresh attempts
 * (job key `replay:<id>`, so replaying twice runs once); discarding a
 * `payment-mismatch` dead letter gives up on that payment (payments/give-up.ts).
 * Every action writes its audit row in the same transaction.
 */
import type { IdGenerator } from '@steadfast/toolkit/ids';
import { closeDeadLetter, type DeadLetter, enqueueJob, findDeadLetter } from '@steadfast/toolkit/jobs';
import type { PoolClient, Queryable, TenantScope } from '@steadfast/toolkit/postgres';
import { ProblemError, type ProblemRegistry } from '@steadfast/toolkit/problems';
import { createGiveUp, isHeldPayment } from '../payments/give-up.ts';
import { type Actor, writeAudit } from './audit.ts';

export interface BulkFilter {
  task: string;
  /** dead letters that last failed at or after this time … */
  since: Date;
  /** … and at or before this one (when the operator saw the count) */
  until: Date;
}

/** at most this many dead letters per bulk replay (ask again for the rest) */
export const BULK_REPLAY_MAX = 1000;

export function createDeadLetterActions(deps: { ids: IdGenerator; registry: ProblemRegistry }) {
  const giveUp = createGiveUp(deps);

  async function close(
    tx: PoolClient,
    id: string,
    scope: TenantScope,
    to: 'replayed' | 'discarded',
    reason?: string,
  ): Promise<DeadLetter> {
    const existing = await findDeadLetter(tx, id, scope);
    if (!existing) throw new ProblemError('not-found', { detail: `No dead letter ${id}.` });
    const closed = await closeDeadLetter(tx, id, to, reason);
    if (!closed) {
      throw new ProblemError('dead-letter-closed', {
        detail: `Dead letter ${id} is ${existing.status}.`,
        extensions: { currentStatus: existing.status },
      });
    }
    return closed;
  }

  async function requeue(tx: PoolClient, letter: DeadLetter): Promise<void> {
    await enqueueJob(tx, letter.task, letter.payload, { key: `replay:${letter.id}` });
  }

  return {
    async replay(tx: PoolClient, id: string, scope: TenantScope, actor: Actor): Promise<DeadLetter> {
      const replayed = await close(tx, id, scope, 'replayed');
      await requeue(tx, replayed);
      await writeAudit(tx, actor, 'dead-letter.replay', id, { task: replayed.task });
      return replayed;
    },
    async discard(
      tx: PoolClient,
      id: string,
      scope: TenantScope,
      reason: string,
      actor: Actor,
    ): Promise<DeadLetter> {
      const discarded = await close(tx, id, scope, 'discarded', reason);
      const heldPayment = isHeldPayment(discarded);
      if (heldPayment) await giveUp(tx, discarded, reason);
      await writeAudit(tx, actor, 'dead-letter.discard', id, { task: discarded.task, reason, heldPayment });
      return discarded;
    },
    /** how many open dead letters a bulk replay with this filter would run now */
    async countBulk(db: Queryable, filter: BulkFilter): Promise<number> {
      const { rows } = await db.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM dead_letters
          WHERE status = 'dead' AND task = $1 AND last_failed_at >= $2 AND last_failed_at <= $3`,
        [filter.task, filter.since, filter.until],
      );
      return rows[0].n;
    },
    /** replay every open dead letter of the filter (operators only: every tenant), up to BULK_REPLAY_MAX */
    async replayBulk(tx: PoolClient, filter: BulkFilter, actor: Actor): Promise<DeadLetter[]> {
      const { rows } = await tx.query<{ id: string }>(
        `SELECT id FROM dead_letters
          WHERE status = 'dead' AND task = $1 AND last_failed_at >= $2 AND last_failed_at <= $3
          ORDER BY id LIMIT $4 FOR UPDATE SKIP LOCKED`,
        [filter.task, filter.since, filter.until, BULK_REPLAY_MAX],
      );
      const replayed: DeadLetter[] = [];
      for (const { id } of rows) {
        const letter = await closeDeadLetter(tx, id, 'replayed');
        if (!letter) continue;
        await requeue(tx, letter);
        replayed.push(letter);
      }
      await writeAudit(tx, actor, 'dead-letter.replay-bulk', filter.task, {
        since: filter.since.toISOString(),
        until: filter.until.toISOString(),
        count: replayed.length,
        ids: replayed.slice(0, 50).map((l) => l.id),
      });
      return replayed;
    },
  };
}

export type DeadLetterActions = ReturnType<typeof createDeadLetterActions>;
