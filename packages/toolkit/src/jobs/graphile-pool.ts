/**
 * The pool graphile-worker gets. graphile-worker completes and fails jobs in
 * promises nobody awaits, and retries those statements only for a few error
 * codes (57P03, ETIMEDOUT, EHOSTUNREACH): a connection refused or cut while
 * the database restarts would reject unhandled and end the process. Here every
 * "database unavailable" error of its statements (see `databaseErrorKind`)
 * reaches it as 57P03, so it retries them (3 s, growing) until the database
 * is back; the original error is the `cause`.
 */
import type { Pool, PoolClient } from '../postgres/index.ts';
import { isDatabaseUnavailable } from '../postgres/index.ts';

function retryable(error: unknown): unknown {
  if (!isDatabaseUnavailable(error) || (error as { code?: string }).code === '57P03') return error;
  return Object.assign(new Error(`database unavailable: ${(error as Error).message}`, { cause: error }), {
    code: '57P03',
  });
}

function wrapClient(client: PoolClient): PoolClient {
  return new Proxy(client, {
    get(target, prop) {
      if (prop === 'query') {
        return (...args: unknown[]) => {
          const result = (target.query as (...a: unknown[]) => unknown)(...args);
          return result instanceof Promise
            ? result.catch((error: unknown) => {
                throw retryable(error);
              })
            : result;
        };
      }
      const value = Reflect.get(target, prop, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

type ConnectCallback = (error: Error | undefined, client?: PoolClient, done?: () => void) => void;

export function poolForGraphileWorker(pool: Pool): Pool {
  return new Proxy(pool, {
    get(target, prop) {
      if (prop === 'connect') {
        return (callback?: ConnectCallback) => {
          if (callback) {
            (target.connect as (cb: ConnectCallback) => void)((error, client, done) =>
              callback(error && (retryable(error) as Error), client && wrapClient(client), done),
            );
            return undefined;
          }
          return target.connect().then(wrapClient, (error: unknown) => {
            throw retryable(error);
          });
        };
      }
      const value = Reflect.get(target, prop, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}
