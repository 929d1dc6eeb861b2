/** How stored answers are built, sent and replayed (byte for byte). */
import type { FastifyReply } from 'fastify';
import type { HandlerResult } from './engine-types.ts';
import type { StoredResponse } from './store.ts';

/**
 * Business outcomes (2xx, 404, 409, 422) are stored and replayed. Not stored —
 * the key stays free for a retry: auth and rate limits, idempotency errors,
 * preconditions (the client re-reads and retries with a fresh If-Match) and 5xx.
 */
export const NEVER_STORED_CATEGORIES = new Set([
  'unauthorized',
  'forbidden',
  'rate-limited',
  'idempotency',
  'precondition',
  'dependency',
  'internal',
]);
const STORED_HEADERS = ['content-type', 'location', 'etag', 'retry-after'];

export function toStored(result: HandlerResult, maxBytes: number): { stored: StoredResponse; bytes: Buffer } {
  const contentType = result.contentType ?? 'application/json; charset=utf-8';
  const bytes = Buffer.from(JSON.stringify(result.body), 'utf8');
  const headers: Record<string, string> = { 'content-type': contentType };
  for (const [name, value] of Object.entries(result.headers ?? {})) {
    if (STORED_HEADERS.includes(name.toLowerCase())) headers[name.toLowerCase()] = value;
  }
  return { stored: { status: result.status, headers, body: bytes.length <= maxBytes ? bytes : null }, bytes };
}

export function send(reply: FastifyReply, result: HandlerResult, bytes: Buffer): FastifyReply {
  reply.code(result.status);
  for (const [name, value] of Object.entries(result.headers ?? {})) reply.header(name, value);
  return reply.type(result.contentType ?? 'application/json; charset=utf-8').send(bytes);
}

export function replay(reply: FastifyReply, response: StoredResponse): FastifyReply {
  reply.code(response.status).headers(response.headers).header('Idempotent-Replayed', 'true');
  return reply.send(response.body ?? '');
}
