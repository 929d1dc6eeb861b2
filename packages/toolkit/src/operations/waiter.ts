/**
 * Wait for an operation to end without polling: one LISTEN connection per
 * process on `steadfast_operations`; each waiter re-reads the operation when
 * its id is notified, and gives up after its time.
 */
import type { Pool, PoolClient, TenantScope } from '../postgres/index.ts';
import { findOperation, NOTIFY_CHANNEL, type Operation, TERMINAL } from './store.ts';

export interface OperationWaiter {
  /** the operation once it has ended, or its state when `waitMs` ran out */
  wait(id: string, scope: TenantScope, waitMs: number): Promise<Operation | undefined>;
  close(): Promise<void>;
}

export function createOperationWaiter(pool: Pool): OperationWaiter {
  const listeners = new Map<string, Set<() => void>>();
  let client: Promise<PoolClient> | undefined;

  function connect(): Promise<PoolClient> {
    client ??= pool.connect().then(async (c) => {
      c.on('notification', (message) => {
        for (const wake of listeners.get(message.payload ?? '') ?? []) wake();
      });
      c.on('error', () => {
        client = undefined; // reconnect on the next wait
      });
      await c.query(`LISTEN ${NOTIFY_CHANNEL}`);
      return c;
    });
    return client;
  }

  return {
    async wait(id, scope, waitMs) {
      await connect();
      const deadline = Date.now() + waitMs;
      let wake: () => void = () => {};
      const set = listeners.get(id) ?? new Set();
      listeners.set(id, set);
      try {
        for (;;) {
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
      c?.release();
    },
  };
}
