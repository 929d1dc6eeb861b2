/**
 * HTTP for operations: the 202 answer (Location + Retry-After), `Prefer:
 * wait=N` (N ≤ 30 s) and the public shape of an operation.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import type { Operation } from './store.ts';
import { TERMINAL } from './store.ts';

export const MAX_WAIT_S = 30;

/** `Prefer: wait=N` → N seconds (capped at 30), or undefined. */
export function preferredWaitS(request: FastifyRequest): number | undefined {
  const header = request.headers.prefer;
  if (typeof header !== 'string') return undefined;
  const match = /(?:^|[,;\s])wait\s*=\s*(\d{1,6})(?:$|[,;\s])/i.exec(header);
  return match ? Math.min(Number(match[1]), MAX_WAIT_S) : undefined;
}

export function publicOperation(op: Operation) {
  return {
    id: op.id,
    kind: op.kind,
    status: op.status,
    resource: op.resource,
    ...(op.result !== null && op.result !== undefined ? { result: op.result } : {}),
    ...(op.error !== null && op.error !== undefined ? { error: op.error } : {}),
    ...(op.lastError !== null && op.lastError !== undefined ? { lastError: op.lastError } : {}),
    createdAt: op.createdAt,
    updatedAt: op.updatedAt,
  };
}

export interface OperationAnswerOptions {
  /** where the client polls the operation, e.g. `/operations/${op.id}` under your API's base path */
  location: string;
  /** the `Prefer: wait` honoured, for `Preference-Applied` */
  waitedS?: number;
  /** seconds the client should wait before polling (default 1) */
  retryAfterS?: number;
}

/** 200 once the operation has ended, else 202 with where to look (`Location`) and when (`Retry-After`). */
export function operationResult(op: Operation, options: OperationAnswerOptions) {
  const ended = TERMINAL.includes(op.status);
  const headers: Record<string, string> = ended
    ? {}
    : { Location: options.location, 'Retry-After': String(options.retryAfterS ?? 1) };
  if (options.waitedS !== undefined) headers['Preference-Applied'] = `wait=${options.waitedS}`;
  return { status: ended ? 200 : 202, body: publicOperation(op), headers };
}

export function sendOperation(
  reply: FastifyReply,
  op: Operation,
  options: OperationAnswerOptions,
): FastifyReply {
  const { status, body, headers } = operationResult(op, options);
  return reply.code(status).headers(headers).send(body);
}

export const OperationSchema = Type.Object(
  {
    id: Type.String(),
    kind: Type.String(),
    status: Type.Unsafe<Operation['status']>({
      type: 'string',
      enum: ['pending', 'running', 'succeeded', 'failed', 'canceled'],
    }),
    resource: Type.Union([Type.String(), Type.Null()]),
    result: Type.Optional(Type.Unknown()),
    error: Type.Optional(Type.Unknown({ description: 'a problem (RFC 9457) when the operation failed' })),
    lastError: Type.Optional(
      Type.Unknown({ description: 'the latest transient failure while still running' }),
    ),
    createdAt: Type.String({ format: 'date-time' }),
    updatedAt: Type.String({ format: 'date-time' }),
  },
  { title: 'Operation' },
);
