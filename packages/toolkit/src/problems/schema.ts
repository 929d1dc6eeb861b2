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
