/** A node-postgres pool with the settings Steadfast relies on. */
import pg from 'pg';

export type Pool = pg.Pool;
export type PoolClient = pg.PoolClient;
/** Anything that can run a query: a pool or a client inside a transaction. */
export type Queryable = Pick<pg.Pool, 'query'>;

export interface PoolOptions {
  connectionString: string;
  max?: number;
  applicationName?: string;
  /** called with errors of idle clients (e.g. the server went away); default: a process warning */
  onError?: (error: Error) => void;
}

export function createPool(options: PoolOptions): Pool {
  const pool = new pg.Pool({
    connectionString: options.connectionString,
    max: options.max ?? 20,
    application_name: options.applicationName ?? 'steadfast',
    connectionTimeoutMillis: 5000,
    idleTimeoutMillis: 30_000,
  });
  const report =
    options.onError ??
    ((error: Error) => process.emitWarning(`postgres pool: ${error.message}`, 'SteadfastPoolWarning'));
  // once end() was called, connections the server closes while they drain are expected, not news
  let ending = false;
  const end = pool.end.bind(pool);
  pool.end = (() => {
    ending = true;
    return end();
  }) as typeof pool.end;
  const onError = (error: Error) => {
    if (!ending) report(error);
  };
  pool.on('error', onError);
  // an idle or checked-out client whose connection dies must not crash the process
  pool.on('connect', (client) => client.on('error', onError));
  return pool;
}
