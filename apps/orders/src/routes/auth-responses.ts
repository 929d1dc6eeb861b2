/**
 * Every route under `/v1/` answers 401 (no or a bad key) and 403 (a tenant key
 * on an operator route, an operator key on tenant data); with the failed-auth
 * throttle on, 429 too. The OpenAPI document says so for each operation.
 */
import { problemResponses } from '@steadfast/toolkit/problems';

export function withAuthProblems<T>(document: T, options: { prefix: string; throttled: boolean }): T {
  const paths = (
    document as { paths?: Record<string, Record<string, { responses?: Record<string, unknown> }>> }
  ).paths;
  const statuses = options.throttled ? [401, 403, 429] : [401, 403];
  for (const [path, item] of Object.entries(paths ?? {})) {
    if (!path.startsWith(options.prefix)) continue;
    for (const operation of Object.values(item)) {
      if (typeof operation !== 'object' || operation === null || !('responses' in operation)) continue;
      const responses = operation.responses ?? {};
      operation.responses = responses;
      for (const [status, entry] of Object.entries(problemResponses(...statuses)))
        responses[status] ??= entry;
    }
  }
  return document;
}
