/**
 * The request side of the document: the optional `Steadfast-Version` request
 * header on every /v1 operation, the paging parameters described, optional
 * parameters never marked required, and PATCH bodies as JSON merge patches
 * (`application/merge-patch+json`, RFC 7396; plain `application/json` is
 * accepted too — see toolkit problems/json-body.ts).
 */
import { isNode, type OpenApiDocument, operationsOf, type Parameter } from './openapi-walk.ts';

export const MERGE_PATCH = 'application/merge-patch+json';

export const VERSION_PARAMETER = {
  in: 'header',
  name: 'Steadfast-Version',
  required: false,
  description:
    'The API version (a date) to speak for this request; without it the tenant’s pinned version applies.',
  schema: { type: 'string', format: 'date', pattern: '^\\d{4}-\\d{2}-\\d{2}$', examples: ['2026-01-01'] },
};

const DESCRIPTIONS: Record<string, string> = {
  'query limit': 'Items per page.',
  'query cursor': 'The `nextCursor` of the previous page; leave it out for the first page.',
  'query status': 'Only the items in this status.',
  'header idempotency-key':
    'Unique per operation (e.g. a UUID); resend the same key when retrying, to get the stored answer.',
  'header if-match': 'The ETag you last read (e.g. `"3"`): the change is made only if it is still current.',
  'header prefer': '`wait=N` (N ≤ 30): hold the answer until the operation ends or N seconds pass.',
};

function describe(parameter: Parameter): void {
  const text = DESCRIPTIONS[`${parameter.in} ${parameter.name?.toLowerCase()}`];
  if (text && (parameter.description === undefined || parameter.description === '')) {
    parameter.description = text;
  }
  if (parameter.in !== 'path' && parameter.required !== true) parameter.required = false;
}

export function withRequestShape<T extends OpenApiDocument>(document: T): T {
  let versioned = false;
  for (const { path, method, operation } of operationsOf(document)) {
    for (const parameter of operation.parameters ?? []) if (isNode(parameter)) describe(parameter);
    if (path.startsWith('/v1/')) {
      operation.parameters = [
        ...(operation.parameters ?? []),
        { $ref: '#/components/parameters/SteadfastVersion' },
      ];
      versioned = true;
    }
    const content = operation.requestBody?.content;
    if (method === 'patch' && content?.['application/json'] && !content[MERGE_PATCH]) {
      // merge patch first: it is what the body is; plain JSON stays for clients that cannot set it
      operation.requestBody = {
        ...operation.requestBody,
        content: { [MERGE_PATCH]: content['application/json'], ...content },
      };
    }
  }
  if (versioned) {
    document.components ??= {};
    document.components.parameters = {
      ...document.components.parameters,
      SteadfastVersion: VERSION_PARAMETER,
    };
  }
  return document;
}
