/**
 * Session features on a direct connection. A pool behind a transaction-mode
 * pooler (created with `direct`) hands its session work — LISTEN, session
 * advisory locks, graphile-worker's own connections — to its direct sibling;
 * every other pool is its own direct pool. `assertDirectConnection` proves at
 * start that the direct connection really is one: a LISTEN on one connection
 * must receive a NOTIFY sent from another.
 */
import { randomBytes } from 'node:crypto';
import { DIRECT_POOL, type Pool } from './pool.ts';

/** the pool to use for LISTEN and session locks: the direct sibling, else the pool itself */
export function directPool(pool: Pool): Pool {
  return (pool as unknown as Record<symbol, Pool | undefined>)[DIRECT_POOL] ?? pool;
}

export class DirectConnectionError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DirectConnectionError';
  }
}

/**
 * Resolves when a NOTIFY sent on one direct connection reaches a LISTEN on
 * another within `timeoutMs` (default 3000); otherwise rejects with a
 * DirectConnectionError (a transaction-mode pooler takes the LISTEN but
 * never delivers, or refuses it).
 */
export async function assertDirectConnection(
  pool: Pool,
  options: { timeoutMs?: number } = {},
): Promise<void> {
  const direct = directPool(pool);
  const timeoutMs = options.timeoutMs ?? 3000;
  const channel = `steadfast_direct_check_${randomBytes(6).toString('hex')}`;
  const listener = await direct.connect();
  let broken: Error | undefined;
  let timer: NodeJS.Timeout | undefined;
  try {
    const delivered = new Promise<boolean>((resolve) => {
      listener.on('notification', (message) => {
        if (message.channel === channel) resolve(true);
      });
      timer = setTimeout(() => resolve(false), timeoutMs);
    });
    try {
      await listener.query(`LISTEN ${channel}`);
    } catch (error) {
      broken = error as Error;
      throw new DirectConnectionError(`LISTEN failed: ${broken.message}`, { cause: error });
    }
    const sender = await direct.connect();
    try {
      await sender.query('SELECT pg_notify($1, $2)', [channel, 'check']);
    } finally {
      sender.release();
    }
    if (!(await delivered)) {
      // what listened is a pooled server connection: do not hand it back
      broken = new Error('not a direct connection');
      throw new DirectConnectionError(
        `a NOTIFY did not reach a LISTEN within ${timeoutMs} ms: this is not a direct connection (a transaction-mode pooler?)`,
      );
    }
    await listener.query(`UNLISTEN ${channel}`);
  } finally {
    clearTimeout(timer);
    listener.release(broken);
  }
}
