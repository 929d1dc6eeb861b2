/**
 * shapeOpenApi(document): the document @fastify/swagger generates from the
 * route schemas, made good enough for code generators (openapi-typescript,
 * openapi-generator): an operationId on every operation, named schemas
 * referenced by `$ref`, `servers`, tags, documented response headers, the
 * version request header, problem responses defined once, merge-patch PATCH bodies and a typed operation
 * result. Applied once (swagger caches the transformed document); works on a
 * copy, so the route schemas Fastify compiled are never touched.
 */
import { withNamedSchemas } from './openapi-components.ts';
import { withResponseHeaders } from './openapi-headers.ts';
import { withOperationIds } from './openapi-operation-ids.ts';
import { withTypedOperationResult } from './openapi-operation-result.ts';
import { withRequestShape } from './openapi-requests.ts';
import { withSharedProblemResponses } from './openapi-responses.ts';
import type { OpenApiDocument } from './openapi-walk.ts';

export interface ServerEntry {
  url: string;
  description?: string;
}

export interface ShapeOptions {
  /** default: this server, relative (`/`), so the document works behind any host */
  servers?: ServerEntry[];
}

export const DEFAULT_SERVERS: ServerEntry[] = [{ url: '/', description: 'this server' }];

export const TAGS = [
  { name: 'orders', description: 'Orders: create, edit, move through their lifecycle, pay.' },
  {
    name: 'operations',
    description:
      'Long-running work (payments, reconciliations), dead letters, the webhook inbox, dependencies.',
  },
  { name: 'api-keys', description: 'The tenant’s API keys: list, create, revoke, rotate.' },
  { name: 'api-version', description: 'The dated API version the tenant is pinned to (Steadfast-Version).' },
  { name: 'webhooks', description: 'Events partners send to this service, signed (Standard Webhooks).' },
];

export function shapeOpenApi<T extends object>(source: T, options: ShapeOptions = {}): T {
  // a copy without shared objects: each step may change a response of one operation only
  let document = JSON.parse(JSON.stringify(source)) as OpenApiDocument;
  document.servers = options.servers ?? DEFAULT_SERVERS;
  document.tags ??= TAGS;
  document = withOperationIds(document);
  document = withNamedSchemas(document);
  document = withTypedOperationResult(document);
  document = withResponseHeaders(document);
  document = withSharedProblemResponses(document);
  document = withRequestShape(document);
  return document as T;
}
