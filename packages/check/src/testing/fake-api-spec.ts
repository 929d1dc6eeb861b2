/** The OpenAPI document of the fake "widgets" API (fake-api.ts), shaped by the fault it has. */
import type { Fault } from './fake-api.ts';

const problem = {
  type: 'object',
  required: ['type', 'title', 'status'],
  properties: { type: { type: 'string' }, title: { type: 'string' }, status: { type: 'integer' } },
};
const widget = {
  type: 'object',
  required: ['id', 'name', 'size', 'status', 'version'],
  properties: {
    id: { type: 'string' },
    name: { type: 'string' },
    size: { type: 'integer' },
    status: { type: 'string', enum: ['active', 'archived'] },
    version: { type: 'integer' },
  },
};
const job = {
  type: 'object',
  required: ['id', 'status'],
  properties: { id: { type: 'string' }, status: { type: 'string' }, error: {} },
};
export const WIDGET_INPUT = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'size'],
  properties: {
    name: { type: 'string', minLength: 1, maxLength: 50 },
    size: { type: 'integer', minimum: 1, maximum: 10 },
  },
};

export function fakeSpec(fault?: Fault) {
  const errorType = fault === 'text-errors' ? 'text/plain' : 'application/problem+json';
  const errors = (...codes: number[]) =>
    Object.fromEntries(
      codes.map((c) => [
        String(c),
        {
          description: 'error',
          content: { [errorType]: { schema: fault === 'text-errors' ? { type: 'string' } : problem } },
        },
      ]),
    );
  const json = (schema: object) => ({ 'application/json': { schema } });
  const id = { name: 'id', in: 'path', required: true, schema: { type: 'string' } };
  const key = {
    name: 'Idempotency-Key',
    in: 'header',
    required: fault !== 'optional-key',
    schema: { type: 'string' },
  };
  const list = (items: object) => ({
    description: 'list',
    content: json({
      type: 'object',
      properties: { data: { type: 'array', items }, nextCursor: { type: ['string', 'null'] } },
    }),
  });
  return {
    openapi: '3.1.0',
    info: { title: 'widgets', version: '1' },
    components: { securitySchemes: { key: { type: 'http', scheme: 'bearer' } } },
    security: [{ key: [] }],
    paths: {
      '/widgets': {
        get: { responses: { 200: list(widget), ...errors(400, 401, 429) } },
        post: {
          operationId: 'createWidget',
          parameters: [key],
          requestBody: { required: true, content: json(WIDGET_INPUT) },
          responses: {
            201: {
              description: 'created',
              content: json(widget),
              links: { archive: { operationId: 'archiveWidget', parameters: { id: '$response.body#/id' } } },
            },
            ...errors(400, 401, 409, 417, 422, 500),
          },
        },
      },
      '/widgets/{id}': {
        get: {
          parameters: [id],
          responses: { 200: { description: 'one', content: json(widget) }, ...errors(401, 404) },
        },
        patch: {
          parameters: [id, { name: 'If-Match', in: 'header', required: true, schema: { type: 'string' } }],
          requestBody: { required: true, content: json({ ...WIDGET_INPUT, required: [] }) },
          responses: {
            200: { description: 'updated', content: json(widget) },
            ...errors(400, 401, 404, 409, 412, 428, 500),
          },
        },
      },
      '/widgets/{id}/archive': {
        post: {
          operationId: 'archiveWidget',
          parameters: [id, key],
          responses: {
            200: { description: 'archived', content: json(widget) },
            201: { description: 'a replayed create (a fault)', content: json(widget) },
            ...errors(400, 401, 404, 409, 417, 422, 500),
          },
        },
      },
      '/widgets/{id}/export': {
        post: {
          operationId: 'exportWidget',
          parameters: [
            id,
            key,
            { name: 'Prefer', in: 'header', required: false, schema: { type: 'string' } },
          ],
          responses: {
            202: { description: 'export started', content: json(job) },
            ...errors(400, 401, 404, 409, 417, 422, 500),
          },
        },
      },
      '/jobs': { get: { responses: { 200: list(job), ...errors(401) } } },
      '/jobs/{id}': {
        get: {
          parameters: [id],
          responses: { 200: { description: 'a job', content: json(job) }, ...errors(401, 404) },
        },
      },
    },
  };
}
