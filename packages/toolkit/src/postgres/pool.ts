/**
 * A node-postgres pool with the settings Steadfast relies on, and a bound on
 * every wait: acquiring a connection (`connectTimeoutMs`), the server running
 * a statement (`statementTimeoutMs`, Postgres' own `statement_timeout`: the
 * server cancels, the connection stays usable) and the answer reaching us
 * (`queryTimeoutMs`, node-postgres' `query_timeout`: catches a frozen server or
 * a black-holed network, where the server can cancel nothing; the client is
 * then discarded). TCP keep-alive finds dead peers on idle connections, such
 * as a LISTEN connection.
 *
 * Behind a transaction-mode pooler (PgBouncer) a pool gets `direct`: a second,
 * small pool on a direct connection for what needs a session of its own
 * (LISTEN, session advisory locks, graphile-worker) — `directPool(pool)` in
 * ./direct.ts. Such a pool sends no `statement_timeout` startup parameter
 * (PgBouncer 1.18 refuses unknown ones: set it on the role or in the pooler)
 * and, unless told otherwise, no named prepared statements.
 */
import pg from 'pg';

export type Pool = pg.Pool;
export type PoolClient = pg.PoolClient;
/** Anything that can run a query: a pool or a client inside a transaction. */
export type Queryable = Pick<pg.Pool, 'query'>;

export interface PoolOptions {
  connectionString: string;
  max?: number;
  applicationName?: string;
  /** waiting for a free client and opening a connection, together (default 5000) */
  connectTimeoutMs?: number;
  /** the server cancels a statement running longer (SQLSTATE 57014); 0: no limit (default 5000) */
  statementTimeoutMs?: number;
  /**
   * an answer not received within this fails the query with "Query read timeout"
   * and the client is discarded; 0: no limit (default: statementTimeoutMs + 1000,
   * so a healthy server's own cancel comes first)
   */
  queryTimeoutMs?: number;
  /**
   * false: every query's `name` is dropped, so statements are parsed unnamed
   * (PgBouncer < 1.21 in transaction mode cannot carry named ones); default
   * true, or false when `direct` is given
   */
  preparedStatements?: boolean;
  /** the pool sits behind a transaction-mode pooler; session features go to this direct connection */
  direct?: { connectionString: string; max?: number };
  /** called with errors of idle clients (e.g. the server went away); default: a process warning */
  onError?: (error: Error) => void;
}

export const POOL_TIMEOUT_DEFAULTS = { connectTimeoutMs: 5000, statementTimeoutMs: 5000 } as const;

/** For a statement that may legitimately run long (a migration): no server-side limit, the client waits up to an hour. */
export const UNBOUNDED_STATEMENT = { statementTimeoutMs: 0, queryTimeoutMs: 3_600_000 } as const;

/** where `directPool` finds a pool's direct sibling */
export const DIRECT_POOL = Symbol('steadfast.directPool');

type QueryFn = (...args: unknown[]) => unknown;

/** drop `name` from plain query configs (not from Submittables such as cursors) */
function withoutStatementNames(client: pg.PoolClient): void {
  const query = client.query.bind(client) as QueryFn;
  client.query = ((config: unknown, ...rest: unknown[]) => {
    if (config !== null && typeof config === 'object' && Object.getPrototypeOf(config) === Object.prototype) {
      const { name: _name, ...unnamed } = config as Record<string, unknown>;
      return query(unnamed, ...rest);
    }
    return query(config, ...rest);
  }) as typeof client.query;
}

export function createPool(options: PoolOptions): Pool {
  const pooled = options.direct !== undefined;
  const preparedStatements = options.preparedStatements ?? !pooled;
  const statementTimeoutMs = options.statementTimeoutMs ?? POOL_TIMEOUT_DEFAULTS.statementTimeoutMs;
  const queryTimeoutMs = options.queryTimeoutMs ?? (statementTimeoutMs > 0 ? statementTimeoutMs + 1000 : 0);
  const pool = new pg.Pool({
    connectionString: options.connectionString,
    max: options.max ?? 20,
    application_name: options.applicationName ?? 'steadfast',
    connectionTimeoutMillis: options.connectTimeoutMs ?? POOL_TIMEOUT_DEFAULTS.connectTimeoutMs,
    idleTimeoutMillis: 30_000,
    // false (not 0) leaves the setting out: 0 would be sent as "no limit" anyway
    // behind a pooler the startup parameter is refused: the pooler or the role sets it
    statement_timeout: statementTimeoutMs > 0 && !pooled ? statementTimeoutMs : false,
    query_timeout: queryTimeoutMs > 0 ? queryTimeoutMs : undefined,
    keepAlive: true,
    keepAliveInitialDelayMillis: 10_000,
  });
  const report =
    options.onError ??
    ((error: Error) => process.emitWarning(`postgres pool: ${error.message}`, 'SteadfastPoolWarning'));
  const direct = options.direct
    ? createPool({
        ...options,
        connectionString: options.direct.connectionString,
        max: options.direct.max ?? 10,
        direct: undefined,
        preparedStatements: true,
        applicationName: `${options.applicationName ?? 'steadfast'}-direct`,
      })
    : undefined;
  if (direct) Object.defineProperty(pool, DIRECT_POOL, { value: direct });
  // once end() was called, connections the server closes while they drain are expected, not news
  let ending = false;
  const end = pool.end.bind(pool);
  pool.end = (() => {
    ending = true;
    return Promise.all([end(), direct?.end()]).then(() => undefined);
  }) as typeof pool.end;
  const onError = (error: Error) => {
    if (!ending) report(error);
  };
  pool.on('error', onError);
  // an idle or checked-out client whose connection dies must not crash the process
  pool.on('connect', (client) => {
    client.on('error', onError);
    if (!preparedStatements) withoutStatementNames(client);
  });
  return pool;
}

/**
 * End a pool, but wait at most `timeoutMs`: with a frozen server, ending a
 * connection waits for an answer that never comes. Sockets still open after
 * the wait are destroyed. Resolves false when it had to force them.
 */
export async function endPool(pool: Pool, timeoutMs = 5000): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const ended = pool.end().then(
    () => true,
    () => true, // end() rejects only when called twice: the pool is ending either way
  );
  const timedOut = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutMs);
  });
  const clean = await Promise.race([ended, timedOut]);
  clearTimeout(timer);
  if (!clean) {
    const direct = (pool as unknown as Record<symbol, Pool | undefined>)[DIRECT_POOL];
    for (const p of direct ? [pool, direct] : [pool]) {
      const clients = (p as unknown as { _clients?: { connection?: { stream?: { destroy(): void } } }[] })
        ._clients;
      for (const client of clients ?? []) client.connection?.stream?.destroy();
    }
  }
  return clean;
}
