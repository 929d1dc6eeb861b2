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

export interface LoggerOptions {
  level?: string;
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
    options.destination,
  );
}
