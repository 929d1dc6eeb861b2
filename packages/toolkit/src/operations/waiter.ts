/**
 * Wait for an operation to end without polling: one LISTEN connection per
 * process on `steadfast_operations`; each waiter re-reads the operation when
 * its id is notified, and gives up after its time. The LISTEN connection is
 * the pool's direct one (`directPool`): a transaction-mode pooler would take
 * the LISTEN and never deliver.
 */
import { directPool, type Pool, type PoolClient, type TenantScope } from '../postgres/index.ts';
import { findOperation, NOTIFY_CHANNEL, type Operation, TERMINAL } from './store.ts';

export interface OperationWaiter {
  /** the operation once it has ended, or its state when `waitMs` ran out */
  wait(id: string, scope: TenantScope, waitMs: number): Promise<Operation | undefined>;
  close(): Promise<void>;
}

export function createOperationWaiter(pool: Pool): OperationWaiter {
  const listeners = new Map<string, Set<() => void>>();
  let client: Promise<PoolClient> | undefined;
  const released = new WeakSet<PoolClient>();
  const release = (c: PoolClient, error?: Error) => {
    if (released.has(c)) return;
    released.add(c);
    c.release(error); // the pool drops a client released with an error
  };

  const wakeAll = () => {
    for (const set of listeners.values()) for (const wake of set) wake();
  };

  /**
   * The LISTEN connection, opened on first use. When it dies (the server
   * restarted) it goes back to the pool as broken, and every waiter re-reads
   * its operation at once and listens again on a new connection: a
   * notification sent while no one listened is never waited for.
   */
  function connect(): Promise<PoolClient> {
    if (client) return client;
    const opening: Promise<PoolClient> = directPool(pool)
      .connect()
      .then(async (c) => {
        const discard = (error: Error) => {
          if (client === opening) client = undefined;
          release(c, error);
          wakeAll();
        };
        c.on('notification', (message) => {
          for (const wake of listeners.get(message.payload ?? '') ?? []) wake();
        });
        c.once('error', discard);
        c.once('end', () => discard(new Error('LISTEN connection ended')));
        try {
          await c.query(`LISTEN ${NOTIFY_CHANNEL}`);
        } catch (error) {
          discard(error as Error);
          throw error;
        }
        return c;
      });
    client = opening;
    opening.catch(() => {
      if (client === opening) client = undefined; // the next wait tries again
    });
    return opening;
  }

  return {
    async wait(id, scope, waitMs) {
      const deadline = Date.now() + waitMs;
      let wake: () => void = () => {};
      const set = listeners.get(id) ?? new Set();
      listeners.set(id, set);
      try {
        for (;;) {
          await connect(); // again after a lost LISTEN connection
          const notified = new Promise<void>((resolve) => {
            wake = resolve;
            set.add(wake);
          });
          const op = await findOperation(pool, id, scope); // after subscribing: no lost wake-up
          const left = deadline - Date.now();
          if (!op || TERMINAL.includes(op.status) || left <= 0) return op;
          let timer: NodeJS.Timeout | undefined;
          await Promise.race([notified, new Promise<void>((r) => (timer = setTimeout(r, left)))]);
          clearTimeout(timer);
          set.delete(wake);
        }
      } finally {
        set.delete(wake);
        if (set.size === 0) listeners.delete(id);
      }
    },
    async close() {
      if (!client) return;
      const c = await client.catch(() => undefined);
      client = undefined;
      if (c) release(c);
    },
  };
}
