/**
 * The one registry of problem types (RFC 9457). A slug is a stable identity:
 * clients, docs pages (`/problems/{slug}`) and the OpenAPI document rely on it.
 * Titles and descriptions may be improved; slugs, statuses and categories may not.
 */

export type ProblemCategory =
  | 'validation'
  | 'unauthorized'
  | 'forbidden'
  | 'not-found'
  | 'conflict'
  | 'precondition'
  | 'idempotency'
  | 'rate-limited'
  | 'dependency'
  | 'internal';

export interface ProblemType {
  slug: string;
  status: number;
  title: string;
  category: ProblemCategory;
  retryable: boolean;
  /** for the docs page: when it happens and what the client should do */
  description: string;
}

export interface ProblemRegistry {
  get(slug: string): ProblemType | undefined;
  all(): ProblemType[];
}

export function createProblemRegistry(...groups: ProblemType[][]): ProblemRegistry {
  const bySlug = new Map<string, ProblemType>();
  for (const type of groups.flat()) {
    if (!/^[a-z][a-z0-9-]*$/.test(type.slug)) throw new Error(`bad problem slug ${type.slug}`);
    if (bySlug.has(type.slug)) throw new Error(`problem slug ${type.slug} registered twice`);
    bySlug.set(type.slug, type);
  }
  return {
    get: (slug) => bySlug.get(slug),
    all: () => [...bySlug.values()],
  };
}

/** Problem types every Steadfast HTTP service has. */
export const coreProblems: ProblemType[] = [
  {
    slug: 'validation-failed',
    status: 400,
    title: 'The request is not valid',
    category: 'validation',
    retryable: false,
    description:
      'A header, path parameter, query parameter or body field does not match the schema. The `errors` list has one entry per problem, each with a JSON `pointer` into the part named by `in` and a `message`. Fix the request; sending it again unchanged fails again.',
  },
  {
    slug: 'malformed-json',
    status: 400,
    title: 'The body is not valid JSON',
    category: 'validation',
    retryable: false,
    description: 'The request body could not be parsed as JSON. Nothing was done.',
  },
  {
    slug: 'unsupported-media-type',
    status: 415,
    title: 'Unsupported content type',
    category: 'validation',
    retryable: false,
    description:
      'A request with a body must say `Content-Type: application/json` (PATCH: `application/merge-patch+json`, or `application/json`). Bodyless action requests need no content type.',
  },
  {
    slug: 'payload-too-large',
    status: 413,
    title: 'The body is too large',
    category: 'validation',
    retryable: false,
    description: 'Request bodies are limited (1 MB for the API). Send less.',
  },
  {
    slug: 'bad-request',
    status: 400,
    title: 'Bad request',
    category: 'validation',
    retryable: false,
    description:
      'The request could not be understood at the HTTP level (for example a wrong Content-Length).',
  },
  {
    slug: 'uri-too-long',
    status: 414,
    title: 'The URL is too long',
    category: 'validation',
    retryable: false,
    description:
      'The request target is longer than the limit (8 KiB by default), or one path segment is longer than the router allows (100 characters by default). Send a shorter URL; put large inputs in a body.',
  },
  {
    slug: 'header-too-large',
    status: 431,
    title: 'The request headers are too large',
    category: 'validation',
    retryable: false,
    description:
      "The request line and headers together exceed the server's limit (Node's `maxHeaderSize`, 16 KiB by default). Send fewer or smaller headers. The connection is closed.",
  },
  {
    slug: 'request-timeout',
    status: 408,
    title: 'The request took too long to arrive',
    category: 'validation',
    retryable: true,
    description:
      "The client did not send the whole request (headers and body) within the server's time limit. Nothing was done; the connection is closed. Retry, sending the request without pauses.",
  },
  {
    slug: 'not-found',
    status: 404,
    title: 'Not found',
    category: 'not-found',
    retryable: false,
    description:
      'There is no such route, or no such resource for your tenant. Resources of other tenants are reported as not found, never as forbidden.',
  },
  {
    slug: 'method-not-allowed',
    status: 405,
    title: 'Method not allowed',
    category: 'validation',
    retryable: false,
    description:
      'The route exists but not with this method. The `Allow` header lists the methods it supports.',
  },
  {
    slug: 'unauthorized',
    status: 401,
    title: 'Authentication required',
    category: 'unauthorized',
    retryable: false,
    description:
      'Send `Authorization: Bearer <api key>`. The key is missing, malformed, unknown or revoked. Retrying with the same key does not help.',
  },
  {
    slug: 'forbidden',
    status: 403,
    title: 'Not allowed for this API key',
    category: 'forbidden',
    retryable: false,
    description:
      'The API key is valid but may not use this endpoint: a tenant key on an operator endpoint, an operator key on one tenant’s data, or a key without the scope the endpoint needs. Use the right key; retrying does not help.',
  },
  {
    slug: 'precondition-required',
    status: 428,
    title: 'If-Match is required',
    category: 'precondition',
    retryable: false,
    description:
      'This change needs `If-Match: "<version>"` with the ETag you last read, so that it cannot overwrite a change you have not seen. GET the resource, then retry with its ETag.',
  },
  {
    slug: 'precondition-failed',
    status: 412,
    title: 'The resource has changed',
    category: 'precondition',
    retryable: false,
    description:
      'The `If-Match` ETag is not the current one: someone changed the resource after you read it. The problem carries `currentEtag` (also in the `ETag` header). Re-read, decide again, and retry with the fresh ETag.',
  },
  {
    slug: 'database-unavailable',
    status: 503,
    title: 'The database is unavailable',
    category: 'dependency',
    retryable: true,
    description:
      'The service could not reach its database, or it did not answer in time. The request was rolled back, or — if the database stopped answering during the commit — its outcome is unknown to the service too. Either way, retry after the `Retry-After` delay with the same Idempotency-Key: that answers with what was stored if it did commit, and does the work once if it did not.',
  },
  {
    slug: 'not-ready',
    status: 503,
    title: 'The service is not ready',
    category: 'dependency',
    retryable: true,
    description: 'Readiness check failed: the database is unreachable or not fully migrated.',
  },
  {
    slug: 'internal-error',
    status: 500,
    title: 'Internal error',
    category: 'internal',
    retryable: false,
    description:
      'An unexpected error on our side. The body holds no internals; quote the `requestId` to support, who can find the full detail in the logs.',
  },
];
