/** The shared OpenAPI response validator: what conforms, and each way a response can break its document. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createOpenApiValidator, formatViolation, type OpenApiResponse } from './openapi-validator.ts';

const json = (schema: object) => ({ content: { 'application/json': { schema } } });
const doc = {
  openapi: '3.1.0',
  info: { title: 't', version: '1' },
  paths: {
    '/things': {
      get: { responses: { '2XX': json({ type: 'array', items: { $ref: '#/components/schemas/Thing' } }) } },
      post: {
        responses: {
          '201': json({ $ref: '#/components/schemas/Thing' }),
          '4xx': { $ref: '#/components/responses/Problem' },
          default: { content: { 'text/plain': { schema: { type: 'string' } } } },
        },
      },
    },
    '/things/{id}': {
      get: {
        responses: {
          '200': json({ $ref: '#/components/schemas/Thing' }),
          '304': { description: 'not modified' },
          '404': { $ref: '#/components/responses/Problem' },
        },
      },
      delete: { responses: { '204': { description: 'gone' } } },
    },
    '/things/search': {
      get: { responses: { '200': json({ type: 'object', required: ['hits'] }) } },
    },
    '/files/{name}': {
      get: { responses: { '200': { content: { 'image/*': {}, 'application/json': { schema: true } } } } },
    },
  },
  components: {
    schemas: {
      Thing: {
        type: 'object',
        required: ['id', 'children'],
        properties: {
          id: { type: 'string', format: 'uuid' },
          parent: { type: ['string', 'null'] },
          children: { type: 'array', items: { $ref: '#/components/schemas/Thing' } },
          pair: { type: 'array', prefixItems: [{ type: 'string' }, { type: 'integer' }] },
        },
      },
      Problem: { type: 'object', required: ['type', 'status'] },
    },
    responses: {
      Problem: {
        content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
      },
    },
  },
};
const ID = '0b6f5f2e-1f7b-4d57-9a0e-8c35f1b7a001';
const thing = { id: ID, parent: null, children: [{ id: ID, children: [] }] };
const validator = createOpenApiValidator(doc);
const ok = {
  method: 'GET',
  path: `/things/${ID}`,
  status: 200,
  contentType: 'application/json; charset=utf-8',
};
const check = (response: Partial<OpenApiResponse> & { body: string }) =>
  validator.validateResponse({ ...ok, ...response });

describe('the OpenAPI response validator', () => {
  test('a conforming response, with recursive $refs, passes', () => {
    assert.equal(check({ body: JSON.stringify(thing) }), undefined);
  });

  test('a body that breaks its ($ref) schema is reported, naming the place', () => {
    const violation = check({
      body: JSON.stringify({ ...thing, children: [{ id: 'not-a-uuid', children: [] }] }),
    });
    assert.equal(violation?.kind, 'schema');
    assert.equal(violation?.operation, 'GET /things/{id}');
    assert.match(violation?.message ?? '', /body\/children\/0\/id must match format "uuid"/);
    assert.match(formatViolation(violation as never), /^GET \/things\/\{id\} → 200: body does not match/);
  });

  test('3.1 documents get JSON Schema 2020-12 (prefixItems)', () => {
    assert.equal(check({ body: JSON.stringify({ ...thing, pair: ['a', 1] }) }), undefined);
    assert.equal(check({ body: JSON.stringify({ ...thing, pair: ['a', 'b'] }) })?.kind, 'schema');
  });

  test('an undocumented status, method or content type is reported', () => {
    assert.equal(check({ status: 500, body: '{}' })?.message, 'status not documented');
    assert.equal(check({ method: 'PATCH', body: '{}' })?.message, 'method not documented');
    assert.equal(
      check({ contentType: 'text/html', body: '<p>' })?.message,
      'content type text/html not documented',
    );
    assert.equal(check({ contentType: undefined, body: 'x' })?.message, 'content type (none) not documented');
  });

  test('405 for an undocumented method and HEAD are not violations', () => {
    assert.equal(check({ method: 'PATCH', status: 405, body: '' }), undefined);
    assert.equal(check({ method: 'HEAD', body: '' }), undefined);
  });

  test('2XX-style ranges (either case) and default document a status', () => {
    const list = { path: '/things', status: 206, body: JSON.stringify([thing]) };
    assert.equal(check(list), undefined);
    assert.equal(check({ ...list, body: '[{"id":1}]' })?.kind, 'schema');
    const post = { method: 'POST', path: '/things', contentType: 'application/problem+json' };
    assert.equal(check({ ...post, status: 422, body: '{"type":"about:blank","status":422}' }), undefined);
    assert.equal(check({ ...post, status: 409, body: '{"type":"about:blank"}' })?.kind, 'schema');
    assert.equal(check({ ...post, status: 503, contentType: 'text/plain', body: 'busy' }), undefined);
    assert.equal(check({ ...post, status: 503, body: '{}' })?.kind, 'content-type');
  });

  test('a $ref to a response object is followed', () => {
    const problem = { status: 404, contentType: 'application/problem+json' };
    assert.equal(check({ ...problem, body: '{"type":"x","status":404}' }), undefined);
    assert.equal(check({ ...problem, body: '{"status":404}' })?.kind, 'schema');
  });

  test('bodies that are not JSON, or missing, are reported; 204 and 304 need none', () => {
    assert.equal(check({ body: '{"id":' })?.kind, 'not-json');
    assert.equal(check({ contentType: undefined, body: '' })?.kind, 'empty-body');
    assert.equal(check({ method: 'DELETE', status: 204, contentType: undefined, body: '' }), undefined);
    assert.equal(check({ status: 304, contentType: undefined, body: '' }), undefined);
  });

  test('literal path segments win over {params}; query strings and foreign paths are ignored', () => {
    assert.equal(validator.matchPath('/things/search?q=1'), '/things/search');
    assert.equal(validator.matchPath(`/things/${ID}`), '/things/{id}');
    assert.equal(validator.matchPath('/things/{id}'), '/things/{id}');
    assert.equal(check({ path: '/things/search?q=1', body: '{"hits":[]}' }), undefined);
    assert.equal(check({ path: '/healthz', body: 'ok' }), undefined);
  });

  test('media type ranges match, and only JSON bodies are validated against a schema', () => {
    const file = { path: '/files/a.png', contentType: 'image/png', body: '\u0089PNG' };
    assert.equal(check(file), undefined);
    assert.equal(check({ ...file, contentType: 'application/json', body: 'nope' })?.kind, 'not-json');
  });

  test('OpenAPI 3.0: nullable and draft-07 schemas', () => {
    const v30 = createOpenApiValidator({
      openapi: '3.0.3',
      paths: {
        '/n': { get: { responses: { '200': json({ type: 'string', nullable: true, maxLength: 2 }) } } },
      },
    });
    const at = { method: 'GET', path: '/n', status: 200, contentType: 'application/json' };
    assert.equal(v30.validateResponse({ ...at, body: 'null' }), undefined);
    assert.equal(v30.validateResponse({ ...at, body: '"abc"' })?.kind, 'schema');
  });

  test('a schema that cannot be compiled is reported, not thrown', () => {
    const broken = createOpenApiValidator({
      openapi: '3.1.0',
      paths: { '/b': { get: { responses: { '200': json({ $ref: '#/components/schemas/Missing' }) } } } },
    });
    const violation = broken.validateResponse({ ...ok, path: '/b', body: '{}' });
    assert.equal(violation?.kind, 'broken-schema');
    assert.match(
      violation?.message ?? '',
      /#\/paths\/~1b\/get\/responses\/200\/content\/application~1json\/schema/,
    );
  });
});
