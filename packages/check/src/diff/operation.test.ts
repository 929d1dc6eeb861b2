/** The operation rules of diffOpenApi: operations, security, parameters, request bodies, statuses, content types, headers. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { SpecError } from '../spec.ts';
import { diffOpenApi } from './document.ts';

type Row = [breaking: boolean, kind: string, path: string, location: string, message: string];

const rows = (before: object, after: object): Row[] =>
  diffOpenApi(before, after).changes.map((c) => [c.breaking, c.kind, c.path, c.location, c.message]);

const doc = (paths: object, extra: object = {}) => ({
  openapi: '3.1.0',
  info: { title: 'fixture', version: '1' },
  paths,
  ...extra,
});
const json = (schema: object = { type: 'object' }) => ({ 'application/json': { schema } });
const ok = { '200': { description: 'ok', content: json() } };
const getOrder = (op: object = {}, path = '/v1/orders/{id}') =>
  doc({
    [path]: {
      get: {
        parameters: [
          {
            in: 'path',
            name: path.includes('{orderId}') ? 'orderId' : 'id',
            required: true,
            schema: { type: 'string' },
          },
        ],
        responses: ok,
        ...op,
      },
    },
  });

describe('operations', () => {
  test('an operation removed is breaking, one added is not', () => {
    const before = doc({ '/v1/orders/{id}': { get: { responses: ok }, delete: { responses: ok } } });
    const after = doc({
      '/v1/orders/{id}': { get: { responses: ok } },
      '/v1/orders': { get: { responses: ok } },
    });
    assert.deepEqual(rows(before, after), [
      [false, 'operation-added', 'GET /v1/orders', '', 'operation added'],
      [true, 'operation-removed', 'DELETE /v1/orders/{id}', '', 'operation removed'],
    ]);
  });
  test('a path parameter renamed is the same operation, unchanged', () => {
    assert.deepEqual(rows(getOrder(), getOrder({}, '/v1/orders/{orderId}')), []);
  });
  test('operationId, summary and deprecated changes are not breaking', () => {
    assert.deepEqual(
      rows(
        getOrder({ operationId: 'getOrder', summary: 'a' }),
        getOrder({ operationId: 'retrieveOrder', summary: 'b', deprecated: true }),
      ),
      [
        [
          false,
          'operation-id-changed',
          'GET /v1/orders/{id}',
          'operationId',
          'operationId changed from getOrder to retrieveOrder',
        ],
        [false, 'operation-annotation-changed', 'GET /v1/orders/{id}', 'summary', 'summary changed'],
        [false, 'operation-deprecated', 'GET /v1/orders/{id}', 'deprecated', 'operation deprecated'],
      ],
    );
  });
  test('credentials required where none were is breaking; dropping them is not', () => {
    const bearer = { components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } } };
    const open = { ...getOrder(), ...bearer };
    const secured = { ...getOrder({ security: [{ bearer: [] }] }), ...bearer };
    assert.deepEqual(rows(open, secured), [
      [true, 'security-added', 'GET /v1/orders/{id}', 'security', 'now requires credentials'],
    ]);
    assert.deepEqual(rows(secured, open), [
      [false, 'security-removed', 'GET /v1/orders/{id}', 'security', 'no longer requires credentials'],
    ]);
  });
  test('a server URL removed is breaking, info changes are not', () => {
    const before = doc({}, { servers: [{ url: 'https://api.example.com' }] });
    const after = {
      ...doc({}, { servers: [{ url: 'https://api2.example.com' }] }),
      info: { title: 'fixture', version: '2' },
    };
    assert.deepEqual(rows(before, after), [
      [false, 'document-annotation-changed', '(document)', 'info', 'info changed'],
      [true, 'servers-changed', '(document)', 'servers', 'server https://api.example.com removed'],
      [
        false,
        'document-annotation-changed',
        '(document)',
        'servers',
        'server https://api2.example.com added',
      ],
    ]);
  });
});

describe('parameters', () => {
  const list = (...parameters: object[]) => doc({ '/v1/orders': { get: { parameters, responses: ok } } });
  const limit = (extra: object = {}) => ({
    in: 'query',
    name: 'limit',
    schema: { type: 'integer', maximum: 100 },
    ...extra,
  });
  const at = 'GET /v1/orders';
  test('a required parameter added is breaking, an optional one is not', () => {
    assert.deepEqual(rows(list(), list(limit({ required: true }))), [
      [
        true,
        'required-parameter-added',
        at,
        'request.query.limit',
        'query parameter "limit" added, required',
      ],
    ]);
    assert.deepEqual(rows(list(), list(limit())), [
      [false, 'parameter-added', at, 'request.query.limit', 'query parameter "limit" added'],
    ]);
  });
  test('a parameter removed is breaking: a client sending it silently loses its effect', () => {
    assert.deepEqual(rows(list(limit()), list()), [
      [true, 'parameter-removed', at, 'request.query.limit', 'query parameter "limit" removed'],
    ]);
  });
  test('optional → required is breaking, required → optional is not', () => {
    assert.deepEqual(rows(list(limit()), list(limit({ required: true }))), [
      [true, 'parameter-now-required', at, 'request.query.limit', 'query parameter "limit" is now required'],
    ]);
    assert.deepEqual(rows(list(limit({ required: true })), list(limit())), [
      [false, 'parameter-now-optional', at, 'request.query.limit', 'query parameter "limit" is now optional'],
    ]);
  });
  test("a parameter's range narrowed is breaking, widened is not", () => {
    const to = (maximum: number) => limit({ schema: { type: 'integer', maximum } });
    assert.deepEqual(rows(list(to(100)), list(to(50))), [
      [
        true,
        'range-narrowed',
        at,
        'request.query.limit',
        'query parameter "limit" maximum lowered from 100 to 50',
      ],
    ]);
    assert.deepEqual(rows(list(to(50)), list(to(100))), [
      [
        false,
        'range-widened',
        at,
        'request.query.limit',
        'query parameter "limit" maximum raised from 50 to 100',
      ],
    ]);
  });
  test('header parameters match whatever their case; a style change is breaking', () => {
    const key = (name: string, extra: object = {}) => ({
      in: 'header',
      name,
      schema: { type: 'string' },
      ...extra,
    });
    assert.deepEqual(rows(list(key('Idempotency-Key')), list(key('idempotency-key'))), []);
    assert.deepEqual(rows(list(limit()), list(limit({ style: 'pipeDelimited' }))), [
      [true, 'parameter-changed', at, 'request.query.limit', 'query parameter "limit" style changed'],
    ]);
  });
});

describe('request bodies', () => {
  const post = (requestBody?: object) =>
    doc({ '/v1/orders': { post: { ...(requestBody ? { requestBody } : {}), responses: ok } } });
  const at = 'POST /v1/orders';
  test('a required body added, or an optional one made required, is breaking', () => {
    assert.deepEqual(rows(post(), post({ required: true, content: json() })), [
      [true, 'required-request-body-added', at, 'request.body', 'request body added, required'],
    ]);
    assert.deepEqual(rows(post({ content: json() }), post({ required: true, content: json() })), [
      [true, 'request-body-now-required', at, 'request.body', 'request body is now required'],
    ]);
    assert.deepEqual(rows(post({ required: true, content: json() }), post({ content: json() })), [
      [false, 'request-body-now-optional', at, 'request.body', 'request body is now optional'],
    ]);
  });
  test('a content type replaced is breaking for clients that send the old one', () => {
    const patch = { 'application/merge-patch+json': { schema: { type: 'object' } } };
    assert.deepEqual(rows(post({ content: json() }), post({ content: patch })), [
      [
        true,
        'request-content-type-removed',
        at,
        'request.body',
        'request content type application/json no longer accepted',
      ],
      [
        false,
        'request-content-type-added',
        at,
        'request.body',
        'request content type application/merge-patch+json now accepted',
      ],
    ]);
    assert.deepEqual(rows(post({ content: json() }), post({ content: { ...json(), ...patch } })), [
      [
        false,
        'request-content-type-added',
        at,
        'request.body',
        'request content type application/merge-patch+json now accepted',
      ],
    ]);
  });
});

describe('responses', () => {
  const post = (responses: object) => doc({ '/v1/orders': { post: { responses } } });
  const at = 'POST /v1/orders';
  const problem = {
    description: 'conflict',
    content: { 'application/problem+json': { schema: { type: 'object' } } },
  };
  test('the success status changed is breaking', () => {
    assert.deepEqual(rows(post({ '200': ok['200'] }), post({ '201': ok['200'] })), [
      [true, 'success-status-changed', at, 'response.201', 'success status changed from 200 to 201'],
    ]);
  });
  test('a success status added or removed is breaking; an error status added or removed is not', () => {
    const accepted = { description: 'accepted', content: json() };
    assert.deepEqual(rows(post(ok), post({ ...ok, '202': accepted })), [
      [true, 'success-status-added', at, 'response.202', 'success status 202 added'],
    ]);
    assert.deepEqual(rows(post({ ...ok, '202': accepted }), post(ok)), [
      [true, 'success-status-removed', at, 'response.202', 'success status 202 removed'],
    ]);
    assert.deepEqual(rows(post(ok), post({ ...ok, '409': problem })), [
      [false, 'error-status-added', at, 'response.409', 'error status 409 added'],
    ]);
    assert.deepEqual(rows(post({ ...ok, '409': problem }), post(ok)), [
      [false, 'error-status-removed', at, 'response.409', 'error status 409 removed'],
    ]);
  });
  test('a response content type changed is breaking', () => {
    const text = { '200': { description: 'ok', content: { 'text/plain': { schema: { type: 'string' } } } } };
    assert.deepEqual(rows(post(ok), post(text)), [
      [
        true,
        'response-content-type-removed',
        at,
        'response.200.body',
        'response content type application/json removed',
      ],
      [
        false,
        'response-content-type-added',
        at,
        'response.200.body',
        'response content type text/plain added',
      ],
    ]);
  });
  test('an error response body change names its status', () => {
    const fields = (properties: object) => ({
      '409': {
        ...problem,
        content: { 'application/problem+json': { schema: { type: 'object', properties } } },
      },
    });
    assert.deepEqual(
      rows(
        post({ ...ok, ...fields({ type: { type: 'string' }, detail: { type: 'string' } }) }),
        post({ ...ok, ...fields({ type: { type: 'string' } }) }),
      ),
      [[true, 'field-removed', at, 'response.409.body.detail', '409 response field "detail" removed']],
    );
  });
  test('a documented response header removed is breaking, one added is not', () => {
    const withHeaders = (headers: object) => post({ '200': { ...ok['200'], headers } });
    const etag = { ETag: { schema: { type: 'string' } } };
    const location = { Location: { schema: { type: 'string' } } };
    assert.deepEqual(rows(withHeaders({ ...etag, ...location }), withHeaders(location)), [
      [true, 'response-header-removed', at, 'response.200.header.ETag', 'response header ETag removed'],
    ]);
    assert.deepEqual(rows(withHeaders(location), withHeaders({ ...location, ...etag })), [
      [false, 'response-header-added', at, 'response.200.header.ETag', 'response header ETag added'],
    ]);
    assert.deepEqual(rows(withHeaders({ etag: etag.ETag }), withHeaders(etag)), []);
  });
});

describe('input that is not OpenAPI 3.x', () => {
  test('throws a SpecError naming the document', () => {
    assert.throws(
      () => diffOpenApi({ swagger: '2.0', paths: {} }, doc({})),
      (e: Error) => e instanceof SpecError && /old document is not OpenAPI 3\.x/.test(e.message),
    );
    assert.throws(
      () => diffOpenApi(doc({}), 'not a document'),
      (e: Error) => e instanceof SpecError && /new document is not OpenAPI 3\.x/.test(e.message),
    );
  });
  test('a $ref that points nowhere is a SpecError', () => {
    const broken = doc({
      '/v1/orders': { get: { responses: { '200': { $ref: '#/components/responses/Missing' } } } },
    });
    assert.throws(() => diffOpenApi(broken, broken), SpecError);
  });
});
