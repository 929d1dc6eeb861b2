/**
 * Problem responses defined once: every operation answers the same handful of
 * problem statuses (400, 401, 403, 500, 503, …) with the same body and header
 * fields, so each distinct one becomes `components.responses.Problem<status>`
 * (`…Idempotent` when it carries Idempotent-Replayed, `…Unversioned` outside
 * /v1) and operations reference it — one definition instead of hundreds.
 */
import { PROBLEM_CONTENT_TYPE } from '@steadfast/toolkit/problems';
import { type OpenApiDocument, operationsOf, type ResponseObject, sameJson } from './openapi-walk.ts';

const isProblemOnly = (response: ResponseObject) => {
  const types = Object.keys(response.content ?? {});
  return types.length === 1 && types[0] === PROBLEM_CONTENT_TYPE;
};

export function withSharedProblemResponses<T extends OpenApiDocument>(document: T): T {
  document.components ??= {};
  document.components.responses ??= {};
  const shared = document.components.responses as Record<string, ResponseObject>;
  for (const { path, operation } of operationsOf(document)) {
    const responses = operation.responses ?? {};
    for (const [status, response] of Object.entries(responses)) {
      if (response.$ref !== undefined || !isProblemOnly(response)) continue;
      const headers = Object.keys(response.headers ?? {});
      const base = `Problem${status}${path.startsWith('/v1/') ? '' : 'Unversioned'}${
        headers.includes('Idempotent-Replayed') ? 'Idempotent' : ''
      }`;
      let name = base;
      for (let n = 2; shared[name] && !sameJson(shared[name], response); n++) name = `${base}Variant${n}`;
      shared[name] = response;
      responses[status] = { $ref: `#/components/responses/${name}` };
    }
  }
  return document;
}
