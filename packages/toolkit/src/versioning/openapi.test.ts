/** versionDocument: which operations a change's schema transforms reach (methods, route keys, "*"), which media types, which parts of an operation, and the document around them. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { JsonSchema, VersionChange } from './changes.ts';
import { type OpenApiDocument, versionDocument } from './openapi.ts';

const json = (schema: object) => ({ content: { 'application/json': { schema } } });
const mark = (name: string) => (schema: JsonSchema) => ({
  ...schema,
  trail: [...((schema.trail as string[]) ?? []), name],
});
const responsesOnly = (name: string, routes: string[]): VersionChange => ({
  version: '2026-12-01',
  description: name,
  routes,
  schema: { response: (schema, status) => ({ ...mark(name)(schema), status }) },
});
const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

describe('which operations a change reaches', () => {
  test('"*": every one of the eight methods, and nothing else of the path item', () => {
    const item: Record<string, unknown> = { summary: 's', parameters: [{ name: 'id', in: 'path' }] };
    for (const method of METHODS) item[method] = { responses: { '200': json({ type: 'string' }) } };
    const document = versionDocument('2026-06-01', [responsesOnly('all', ['*'])], {
      paths: { '/all': item },
    });
    const expected: Record<string, unknown> = { summary: 's', parameters: [{ name: 'id', in: 'path' }] };
    for (const method of METHODS)
      expected[method] = { responses: { '200': json({ type: 'string', trail: ['all'], status: '200' }) } };
    assert.deepEqual(document.paths, { '/all': expected });
  });

  test('named routes: method and template mapped to the OpenAPI key, other operations left as they are', () => {
    const op = () => ({ responses: { '200': json({ $ref: '#/components/schemas/S' }) } });
    const source = {
      paths: {
        '/items/{id}': { get: op(), delete: op() },
        '/items': { get: op() },
        '/users/{id}': { get: op() },
      },
      components: { schemas: { S: { type: 'string' } } },
    };
    const change = responsesOnly('named', ['GET /items/:id', 'PUT /items/:id', 'GET /users/:id']);
    const document = versionDocument('2026-06-01', [change], source);
    const touched = { responses: { '200': json({ type: 'string', trail: ['named'], status: '200' }) } };
    assert.deepEqual(document.paths, {
      '/items/{id}': { get: touched, delete: op() },
      '/items': { get: op() },
      '/users/{id}': { get: touched },
    });
  });

  test('newest change first; a change with no schema transform (or an empty one) is skipped', () => {
    const changes: VersionChange[] = [
      responsesOnly('older', ['GET /x']),
      { version: '2026-12-01', description: 'no schema', routes: ['*'] },
      { version: '2026-12-01', description: 'empty schema', routes: ['*'], schema: {} },
      responsesOnly('newer', ['GET /x']),
    ];
    const source = {
      paths: {
        '/x': { get: { responses: { '200': json({}) } } },
        '/y': { get: { responses: { '200': json({ $ref: '#/c' }) } } },
      },
      c: { type: 'string' },
    };
    const document = versionDocument('2026-06-01', changes, source);
    assert.deepEqual(
      document.paths['/x'].get.responses['200'],
      json({ trail: ['newer', 'older'], status: '200' }),
    );
    assert.deepEqual(document.paths['/y'], source.paths['/y'], 'untouched: its $ref stays');
  });
});

describe('which parts of an operation', () => {
  const requestsOnly: VersionChange = {
    version: '2026-12-01',
    description: 'requests only',
    routes: ['*'],
    schema: { request: mark('req') },
  };

  test('a request-only transform changes the request body and leaves the responses alone', () => {
    const source = {
      paths: {
        '/a': {
          post: { requestBody: json({ type: 'object' }), responses: { '201': json({ type: 'object' }) } },
          get: { responses: { '200': json({ type: 'object' }) } },
          put: { requestBody: json({ type: 'object' }) },
        },
      },
    };
    const document = versionDocument('2026-06-01', [requestsOnly], source);
    assert.deepEqual(document.paths, {
      '/a': {
        post: {
          requestBody: json({ type: 'object', trail: ['req'] }),
          responses: { '201': json({ type: 'object' }) },
        },
        get: { responses: { '200': json({ type: 'object' }) } },
        put: { requestBody: json({ type: 'object', trail: ['req'] }) },
      },
    });
  });

  test('a response-only transform: an operation without responses, responses without content, odd values', () => {
    const source = {
      paths: {
        '/a': {
          post: { requestBody: json({ type: 'object' }) },
          get: {
            responses: {
              '200': json({ type: 'object' }),
              '204': { description: 'nothing' },
              '304': null,
              '400': { content: 'not a map' },
            },
          },
        },
      },
    };
    const document = versionDocument('2026-06-01', [responsesOnly('res', ['*'])], source);
    assert.deepEqual(document.paths, {
      '/a': {
        post: { requestBody: json({ type: 'object' }) },
        get: {
          responses: {
            '200': json({ type: 'object', trail: ['res'], status: '200' }),
            '204': { description: 'nothing' },
            '304': null,
            '400': { content: 'not a map' },
          },
        },
      },
    });
  });
});

describe('which media types', () => {
  test('JSON and +json types are transformed; others, media without a schema, and null media are not', () => {
    const types = {
      'application/json': { schema: {} },
      'application/json; charset=utf-8': { schema: {} },
      'application/problem+json': { schema: {} },
      'application/vnd.acme.v1+json': { schema: {} },
      'application/merge-patch+json': { schema: {} },
      'text/plain': { schema: {} },
      'application/xml': { schema: {} },
      'application/jsonl': { schema: {} },
      'application/vnd.acme+jsonl': { schema: {} },
      'application/x-ndjson': { schema: {} },
      'text/application/json': { schema: {} },
      'application/octet-stream': { example: 'x' },
      'application/hal+json': { example: { a: 1 } },
      'application/ld+json': null,
    };
    const document = versionDocument('2026-06-01', [responsesOnly('m', ['*'])], {
      paths: { '/m': { get: { responses: { '200': { content: types } } } } },
    });
    const changed = { schema: { trail: ['m'], status: '200' } };
    assert.deepEqual(document.paths['/m'].get.responses['200'].content, {
      ...types,
      'application/json': changed,
      'application/json; charset=utf-8': changed,
      'application/problem+json': changed,
      'application/vnd.acme.v1+json': changed,
      'application/merge-patch+json': changed,
    });
  });
});

describe('the document around the operations', () => {
  test('info keeps its other fields and gets the version; the rest of the document is kept', () => {
    const source = { openapi: '3.1.0', info: { title: 'T', version: '2026-12-01' }, tags: [{ name: 't' }] };
    assert.deepEqual(versionDocument('2026-06-01', [responsesOnly('r', ['*'])], source), {
      openapi: '3.1.0',
      info: { title: 'T', version: '2026-06-01' },
      tags: [{ name: 't' }],
    });
    assert.deepEqual(source.info, { title: 'T', version: '2026-12-01' });
  });

  test('a document without info or paths', () => {
    const document: OpenApiDocument = versionDocument('2026-06-01', [responsesOnly('r', ['*'])], {
      openapi: '3.1.0',
    });
    assert.deepEqual(document, { openapi: '3.1.0', info: { version: '2026-06-01' } });
  });

  test('no changes: a copy with the version, nothing inlined', () => {
    const source = { paths: { '/a': { get: { responses: { '200': json({ $ref: '#/c' }) } } } }, c: {} };
    const document = versionDocument('2026-06-01', [], source);
    assert.deepEqual(document, { ...source, info: { version: '2026-06-01' } });
    assert.notEqual(document.paths, source.paths);
  });
});
