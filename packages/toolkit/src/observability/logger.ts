/**
 * The pino logger: JSON lines, secrets redacted. Authorization headers, API
 * keys, webhook secrets and passwords never reach the log, wherever they sit;
 * nor do the request values inside Postgres errors (error-serializer.ts).
 */
import pino, { type DestinationStream, type Logger } from 'pino';
import { serializeError } from './error-serializer.ts';
import { traceLogFields } from './tracing.ts';

export type { Logger };

export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
  '*.headers.authorization',
  'authorization',
  '*.authorization',
  'apiKey',
  '*.apiKey',
  'secret',
  '*.secret',
  'password',
  '*.password',
  'connectionString',
  '*.connectionString',
];

export interface LogDestinationOptions {
  /** a file descriptor or path (default 1: stdout) */
  dest?: number | string;
  /** lines are written in chunks of at least this many bytes (default 4096; 0: each line at once) */
  bufferBytes?: number;
  /** …or after at most this long (default 100 ms); everything is written on a normal exit */
  flushIntervalMs?: number;
}

/**
 * Where log lines go: written asynchronously in chunks (one write syscall
 * per ~4 KiB instead of one per line — a request's log line is ~300 bytes),
 * and at most `flushIntervalMs` late. A normal exit, a crash that exits and a
 * signal handled by the app write everything; SIGKILL loses what the last
 * `flushIntervalMs` logged.
 */
export function createLogDestination(options: LogDestinationOptions = {}): DestinationStream {
  const bufferBytes = options.bufferBytes ?? 4096;
  return pino.destination({
    dest: options.dest ?? 1,
    sync: false,
    minLength: bufferBytes,
    periodicFlush: bufferBytes > 0 ? (options.flushIntervalMs ?? 100) : 0,
  } as Parameters<typeof pino.destination>[0]);
}

export interface LoggerOptions {
  level?: string;
  /** default: `createLogDestination()` (stdout, buffered) */
  destination?: DestinationStream;
  name?: string;
  /** add `trace_id` / `span_id` of the active span to every line (tracing on) */
  traceIds?: boolean;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  return pino(
    {
      level: options.level ?? 'info',
      name: options.name,
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      // Postgres errors without the request values their detail, where and messages can carry
      serializers: { err: serializeError },
      ...(options.traceIds ? { mixin: traceLogFields } : {}),
    },
    options.destination ?? createLogDestination(),
  );
}
