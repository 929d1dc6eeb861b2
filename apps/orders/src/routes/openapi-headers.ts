/**
 * Response header fields in the document: each one defined once under
 * `components.headers` and referenced from every response that can carry it,
 * so a client (and its generated code) knows where to read an ETag, a
 * Location to poll, a Retry-After, the replay marker, the rate-limit fields,
 * the request id and the API version that answered.
 */
import {
  type Node,
  type OpenApiDocument,
  type OperationEntry,
  operationsOf,
  refName,
} from './openapi-walk.ts';

const string = { type: 'string' };

export const RESPONSE_HEADERS: Readonly<Record<string, Node>> = {
  ETag: {
    description:
      'The version of the resource as an entity tag (`"3"`): send it back in If-Match to change it.',
    schema: { ...string, pattern: '^"\\d+"$' },
  },
  Location: {
    description: 'Where the new resource is (201), or the operation to poll (202).',
    schema: { ...string, format: 'uri-reference' },
  },
  'Retry-After': {
    description:
      'Seconds to wait before polling the operation (202) or retrying the request (a retryable problem).',
    schema: { type: 'integer', minimum: 0 },
  },
  'Idempotent-Replayed': {
    description:
      '`true` when this is the stored answer of an earlier request with the same Idempotency-Key: nothing was done again.',
    schema: { ...string, enum: ['true'] },
  },
  RateLimit: {
    description:
      'Quota left, when rate limits are on: `"<policy>";r=<units left>;t=<seconds until the quota resets>` (draft-ietf-httpapi-ratelimit-headers).',
    schema: string,
  },
  'RateLimit-Policy': {
    description: 'The quota, when rate limits are on: `"<policy>";q=<units>;w=<window seconds>`.',
    schema: string,
  },
  'X-Request-Id': {
    description: 'The id of this request (yours when you sent a valid X-Request-Id): quote it to support.',
    schema: string,
  },
  'Steadfast-Version': {
    description:
      'The API version (a date) this answer is shaped by: the one requested, else the tenant’s pinned one.',
    schema: { ...string, format: 'date', pattern: '^\\d{4}-\\d{2}-\\d{2}$' },
  },
  Deprecation: {
    description:
      'Present when the version or endpoint used is deprecated: when it was (RFC 9745, `@<epoch seconds>`).',
    schema: { ...string, pattern: '^@-?\\d+$' },
  },
  Sunset: {
    description: 'When the deprecated version or endpoint stops answering (RFC 8594, an HTTP-date).',
    schema: string,
  },
  Link: {
    description:
      'With Deprecation: `<docs>; rel="deprecation"`, where to read what changed and how to move on.',
    schema: string,
  },
};

const RETRYABLE_STATUSES = new Set(['409', '429', '500', '502', '503', '504']);

/** the header fields one response of one operation can carry */
export function headersFor(entry: OperationEntry, status: string, bodySchema: Node | undefined): string[] {
  const names = ['X-Request-Id'];
  const versioned = entry.path.startsWith('/v1/');
  if (versioned)
    names.push('Steadfast-Version', 'Deprecation', 'Sunset', 'Link', 'RateLimit', 'RateLimit-Policy');
  const success = status.startsWith('2');
  if ((success && refName(bodySchema) === 'Order') || status === '412') names.push('ETag');
  if (status === '201' || status === '202') names.push('Location');
  if (status === '202' || RETRYABLE_STATUSES.has(status)) names.push('Retry-After');
  const idempotent = (entry.operation.parameters ?? []).some(
    (p) => p.in === 'header' && p.name?.toLowerCase() === 'idempotency-key',
  );
  if (idempotent) names.push('Idempotent-Replayed');
  return names;
}

export function withResponseHeaders<T extends OpenApiDocument>(document: T): T {
  document.components ??= {};
  document.components.headers ??= {};
  const defined = document.components.headers;
  const used = new Set<string>();
  for (const entry of operationsOf(document)) {
    for (const [status, response] of Object.entries(entry.operation.responses ?? {})) {
      const body = Object.values(response.content ?? {})[0]?.schema;
      for (const name of headersFor(entry, status, body)) {
        response.headers ??= {};
        response.headers[name] ??= { $ref: `#/components/headers/${name}` };
        used.add(name);
      }
    }
  }
  for (const name of Object.keys(RESPONSE_HEADERS))
    if (used.has(name)) defined[name] = RESPONSE_HEADERS[name];
  return document;
}
