/**
 * Request ids and W3C trace context. An incoming `X-Request-Id` is kept when
 * it is sane (1–128 of `A-Z a-z 0-9 . _ : -`), else a new one is made; it is
 * echoed on every response. A valid `traceparent` is kept for outgoing calls.
 */
import type { IncomingMessage } from 'node:http';
import { createRandomPool } from '../ids/index.ts';

const SANE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;
const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

export interface TraceContext {
  version: string;
  traceId: string;
  parentId: string;
  flags: string;
  /** the header as received, to forward unchanged */
  header: string;
}

export function createRequestIdGenerator(random: (size: number) => Buffer = createRandomPool()) {
  return (request: IncomingMessage): string => {
    const incoming = request.headers['x-request-id'];
    if (typeof incoming === 'string' && SANE_REQUEST_ID.test(incoming)) return incoming;
    return `req_${random(12).toString('base64url')}`;
  };
}

export function parseTraceparent(header: string | string[] | undefined): TraceContext | undefined {
  if (typeof header !== 'string') return undefined;
  const match = TRACEPARENT.exec(header.trim().toLowerCase());
  if (!match) return undefined;
  const [, version, traceId, parentId, flags] = match;
  if (version === 'ff' || /^0+$/.test(traceId) || /^0+$/.test(parentId)) return undefined;
  return { version, traceId, parentId, flags, header: match[0] };
}
