/**
 * Recognise errors that mean "the database cannot serve us right now"
 * (retryable: answer 503 and let the client come back), not bugs.
 *
 * Two kinds:
 * - `unreachable`: no connection, a refused or reset one, a server shutting
 *   down or starting up, no free connection slot within the connect timeout.
 * - `timeout`: the statement did not finish within its bound — cancelled by
 *   the server (`statement_timeout`, SQLSTATE 57014: rolled back, nothing of
 *   it was written) or given up by the client (`query_timeout`, "Query read
 *   timeout": a frozen server or a black-holed network; the outcome of a
 *   COMMIT that timed out this way is unknown, which is why a retry must carry
 *   the same Idempotency-Key).
 *
 * A statement timeout on a healthy database is a slow query, not an outage;
 * it is still answered 503 (the client can only retry, and nothing of the
 * statement was written), and callers log it with its kind so a slow query is
 * not mistaken for an outage.
 */

export type DatabaseErrorKind = 'unreachable' | 'timeout';

const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND', // the host does not resolve (yet): common while a container network comes up
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now (starting up, shutting down, in recovery)
  '53300', // too_many_connections
  '08000',
  '08003',
  '08006',
]);

const TIMEOUT_CODES = new Set(['57014']); // query_canceled: statement_timeout or an operator's cancel

// PgBouncer answers its own failures with SQLSTATE 08P01 and these messages (Postgres restarting behind it)
const PGBOUNCER_UNAVAILABLE =
  /server conn crashed\?|server login has been failing|query_wait_timeout|pgbouncer cannot connect to server|no more connections allowed|pooler is shutting down/;
const UNREACHABLE_MESSAGE =
  /timeout exceeded when trying to connect|Connection terminated|connection.*closed|not queryable|Cannot use a pool after calling end/i;
const TIMEOUT_MESSAGE = /^Query read timeout$/;

export function databaseErrorKind(error: unknown): DatabaseErrorKind | undefined {
  if (!(error instanceof Error)) return undefined;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') {
    if (UNREACHABLE_CODES.has(code)) return 'unreachable';
    if (TIMEOUT_CODES.has(code)) return 'timeout';
  }
  if (TIMEOUT_MESSAGE.test(error.message)) return 'timeout';
  if (UNREACHABLE_MESSAGE.test(error.message)) return 'unreachable';
  if (code === '08P01' && PGBOUNCER_UNAVAILABLE.test(error.message)) return 'unreachable';
  return undefined;
}

export function isDatabaseUnavailable(error: unknown): boolean {
  return databaseErrorKind(error) !== undefined;
}
