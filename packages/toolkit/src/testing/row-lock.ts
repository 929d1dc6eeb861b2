/**
 * A row lock a test holds, to make a race deterministic: the test writes a
 * row in a transaction it keeps open, so a statement of the code under test
 * that touches the same key waits — e.g. a first request whose insert blocks
 * while the requests sent after it queue behind it. `waiters(n)` resolves
 * once Postgres shows `n` statements of this database waiting on a lock;
 * `release()` rolls the row back and lets them go.
 */
import type { Pool, PoolClient } from '../postgres/index.ts';
import { eventually } from './eventually.ts';

export interface HeldRowLock {
  waiters(count: number): Promise<void>;
  release(): Promise<void>;
}

export async function holdRowLock(pool: Pool, sql: string, values: unknown[] = []): Promise<HeldRowLock> {
  const client: PoolClient = await pool.connect();
  let held = true;
  try {
    await client.query('BEGIN');
    await client.query(sql, values);
  } catch (error) {
    // the client is inside a failed transaction: discard it rather than pool it
    client.release(error as Error);
    throw error;
  }
  return {
    waiters: (count) =>
      eventually(
        async () => {
          const { rows } = await pool.query<{ n: number }>(
            `SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()`,
          );
          return rows[0].n === count;
        },
        { message: `${count} statement(s) waiting on a lock` },
      ).then(() => undefined),
    async release() {
      if (!held) return;
      held = false;
      try {
        await client.query('ROLLBACK');
      } finally {
        client.release();
      }
    },
  };
}
