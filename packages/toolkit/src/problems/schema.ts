/** JSON Schema of a problem body, for route `response` maps and OpenAPI. */
import { Type } from 'typebox';
import { PROBLEM_CONTENT_TYPE } from './problem-body.ts';

export const ProblemSchema = Type.Object(
  {
    type: Type.String({ description: 'a URI reference: /problems/{slug}, a readable page' }),
    title: Type.String(),
    status: Type.Integer(),
    detail: Type.String(),
    instance: Type.String(),
    category: Type.String(),
    retryable: Type.Boolean(),
    requestId: Type.String(),
    errors: Type.Optional(
      Type.Array(
        Type.Object({
          pointer: Type.String(),
          message: Type.String(),
          in: Type.Optional(Type.String()),
        }),
      ),
    ),
  },
  { additionalProperties: true, title: 'Problem' },
);

/**
 * `{ 400: {...}, 404: {...} }` response entries with the problem+json content
 * type. 500 (internal) and 503 (database unavailable) can happen anywhere and
 * are always included.
 */
export function problemResponses(...statuses: number[]): Record<number, unknown> {
  const out: Record<number, unknown> = {};
  for (const status of new Set([...statuses, 500, 503])) {
    out[status] = {
      description: `Problem (${status})`,
      content: { [PROBLEM_CONTENT_TYPE]: { schema: ProblemSchema } },
    };
  }
  return out;
}

const BODY_METHODS = new Set(['post', 'put', 'patch', 'delete']);

/**
 * Add to every operation of an OpenAPI document the problems that the
 * problems plugin and `problemServerOptions` can answer on any route, so the
 * document lists every status a client can see: 400 (malformed request),
 * 414 (URI too long), 500 and 503 everywhere; 413 (body too large) and 415
 * (content type) on methods that carry a body. Entries a route documents
 * itself are kept.
 */
export function withFrameworkProblems<T>(document: T): T {
  const paths = (
    document as { paths?: Record<string, Record<string, { responses?: Record<string, unknown> }>> }
  ).paths;
  for (const item of Object.values(paths ?? {})) {
    for (const [method, operation] of Object.entries(item)) {
      if (typeof operation !== 'object' || operation === null || !('responses' in operation)) continue;
      const statuses = BODY_METHODS.has(method) ? [400, 413, 414, 415] : [400, 414];
      const responses = operation.responses ?? {};
      operation.responses = responses;
      for (const [status, entry] of Object.entries(problemResponses(...statuses)))
        responses[status] ??= entry;
    }
  }
  return document;
}
