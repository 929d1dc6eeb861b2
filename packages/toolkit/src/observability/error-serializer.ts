/**
 * The logger's `err` serializer: pino's standard one, except that Postgres
 * errors (node-postgres `DatabaseError`, anywhere in the `cause` chain) are
 * logged without the parts that can hold request values: `detail`, `where`,
 * `hint`, `internalQuery` and positions are dropped, and a data exception's
 * message (class 22, e.g. `invalid input syntax for type integer: "…"`) or a
 * function's raised message (class P0) is cut to its fixed part. What stays:
 * code, severity, constraint, schema, table, column, dataType, routine.
 */
import pino from 'pino';

const KEPT = ['code', 'severity', 'constraint', 'schema', 'table', 'column', 'dataType', 'routine'] as const;
const MAX_CHAIN = 10;

interface PgError extends Error {
  code: string;
  [field: string]: unknown;
}

export function isPgError(error: unknown): error is PgError {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) && 'severity' in error && 'routine' in error;
}

/** A Postgres message without values: class 22 keeps the part before its first colon, class P0 nothing. */
export function safePgMessage(error: PgError): string {
  const kind = error.code.slice(0, 2);
  if (kind === 'P0') return `an exception raised by a database function (${error.code})`;
  if (kind === '22') {
    const colon = error.message.indexOf(':');
    return colon < 0 ? error.message : error.message.slice(0, colon);
  }
  return error.message;
}

function stackFrames(stack: string | undefined): string {
  return (stack ?? '')
    .split('\n')
    .filter((line) => /^\s+at /.test(line))
    .join('\n');
}

/** what a redacted pg error is logged as (`type: 'DatabaseError'`, like node-postgres' class) */
class DatabaseError extends Error {}

function redacted(error: PgError): Error {
  const message = safePgMessage(error);
  const copy = new DatabaseError(message);
  copy.name = 'DatabaseError';
  copy.stack = `DatabaseError: ${message}\n${stackFrames(error.stack)}`;
  for (const field of KEPT) if (error[field] !== undefined) Object.assign(copy, { [field]: error[field] });
  return copy;
}

export function serializeError(error: unknown): ReturnType<typeof pino.stdSerializers.err> {
  const chain: unknown[] = [];
  for (let e: unknown = error; e instanceof Error && chain.length < MAX_CHAIN; e = e.cause) chain.push(e);
  if (!chain.some(isPgError)) return pino.stdSerializers.err(error as Error);
  // rebuild the chain from the end: pg errors redacted, wrappers copied with their cause replaced
  const pairs = chain.filter(isPgError).map((e) => [e.message, safePgMessage(e)] as const);
  // a wrapper that quoted the pg message in its own message or stack gets the safe one instead
  const scrub = (text: string | undefined) =>
    pairs.reduce((t, [unsafe, safe]) => (unsafe ? t.split(unsafe).join(safe) : t), text ?? '');
  let rebuilt: Error | undefined;
  for (let i = chain.length - 1; i >= 0; i--) {
    const e = chain[i] as Error;
    if (isPgError(e)) {
      rebuilt = Object.assign(redacted(e), rebuilt ? { cause: rebuilt } : {});
      continue;
    }
    const copy = Object.assign(Object.create(Object.getPrototypeOf(e)) as Error, e);
    copy.message = scrub(e.message);
    copy.stack = scrub(e.stack);
    copy.cause = rebuilt;
    rebuilt = copy;
  }
  return pino.stdSerializers.err(rebuilt as Error);
}
