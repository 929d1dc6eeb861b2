/**
 * The OpenAPI document is good enough for code generators: operationIds,
 * named schemas by `$ref`, servers, response headers, the version header,
 * merge-patch PATCH bodies, the operation result typed — and the contract
 * checker (every injected response of the suite) still follows its `$ref`s.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createContractChecker } from '@steadfast/toolkit/testing';
import { buildTestApp, type TestApp } from '../testing.ts';
import { withNamedSchemas } from './openapi-components.ts';
import { withOperationIds } from './openapi-operation-ids.ts';
import { type Node, type OpenApiDocument, operationsOf } from './openapi-walk.ts';

const SECRET = `whsec_${Buffer.from('openapi-shape-secret-thirty-two!').toString('base64')}`;

describe('the OpenAPI document, shaped for code generators', () => {
  let app: TestApp;
  let spec: OpenApiDocument & { servers?: unknown; components: Required<OpenApiDocument>['components'] };
  before(async () => {
    app = await buildTestApp({ webhooks: { secrets: [SECRET] } });
    spec = (await app.inject({ method: 'GET', url: '/openapi.json', apiKey: null })).json();
  });
  after(() => app.close());
  const op = (key: string) => {
    const found = operationsOf(spec).find((entry) => entry.key === key);
    assert.ok(found, `${key} is documented`);
    return found.operation;
  };

  test('every operation has an operationId, each one different', () => {
    const missing = operationsOf(spec).filter((entry) => entry.operation.operationId === undefined);
    assert.deepEqual(
      missing.map((entry) => entry.key),
      [],
      'add these routes to OPERATION_IDS (openapi-operation-ids.ts)',
    );
    const ids = operationsOf(spec).map((entry) => entry.operation.operationId);
    assert.equal(new Set(ids).size, ids.length);
    assert.equal(op('POST /v1/orders').operationId, 'createOrder');
    assert.equal(op('POST /v1/orders/{id}/pay').operationId, 'payOrder');
    assert.equal(op('POST /webhooks/payments').operationId, 'receivePaymentWebhook');
  });

  test('a route missing from the table gets no made-up id', () => {
    const doc = { paths: { '/v1/new': { get: { responses: {} } } } };
    assert.equal(withOperationIds(doc).paths['/v1/new'].get, doc.paths['/v1/new'].get);
    assert.equal('operationId' in doc.paths['/v1/new'].get, false);
  });

  test('named schemas: each defined once under components and referenced by $ref', () => {
    for (const name of [
      'Order',
      'OrderList',
      'Operation',
      'Problem',
      'DeadLetter',
      'ApiKey',
      'WebhookEvent',
    ]) {
      assert.ok(spec.components.schemas?.[name], `components.schemas.${name}`);
    }
    const text = JSON.stringify(spec);
    // the Order and Problem schemas are not copied inline anywhere
    assert.equal(text.split('"title":"Order"').length - 1, 1);
    assert.equal(text.split('"title":"Problem"').length - 1, 1);
    assert.deepEqual(op('GET /v1/orders/{id}').responses?.['200'].content?.['application/json'].schema, {
      $ref: '#/components/schemas/Order',
    });
    assert.deepEqual(op('GET /v1/orders').responses?.['200'].content?.['application/json'].schema, {
      $ref: '#/components/schemas/OrderList',
    });
    assert.deepEqual(op('GET /v1/orders/{id}').responses?.['404'], {
      $ref: '#/components/responses/Problem404',
    });
  });

  test('every object response body is named (no anonymous object bodies)', () => {
    const responses = spec.components.responses as Record<
      string,
      { content?: Record<string, { schema?: Node }> }
    >;
    const anonymous: string[] = [];
    for (const { key, operation } of operationsOf(spec)) {
      for (const [status, response] of Object.entries(operation.responses ?? {})) {
        const resolved = response.$ref ? responses[response.$ref.split('/').pop() ?? ''] : response;
        for (const media of Object.values(resolved.content ?? {})) {
          if (media.schema && media.schema.$ref === undefined && media.schema.type === 'object')
            anonymous.push(`${key} ${status}`);
        }
      }
    }
    assert.deepEqual(anonymous, []);
  });

  test('two different schemas with one title are refused, not merged', () => {
    const body = (required: string[]) => ({
      content: { 'application/json': { schema: { title: 'Thing', type: 'object', required } } },
    });
    const doc = {
      paths: {
        '/a': { get: { operationId: 'a', responses: { '200': body(['x']) } } },
        '/b': { get: { operationId: 'b', responses: { '200': body(['y']) } } },
      },
    };
    assert.throws(() => withNamedSchemas(doc), /two different schemas are both named Thing/);
  });

  test('servers, and tags defined for every tag used', () => {
    assert.deepEqual(spec.servers, [{ url: '/', description: 'this server' }]);
    const defined = new Set((spec.tags as { name: string }[]).map((t) => t.name));
    const used = operationsOf(spec).flatMap((entry) => (entry.operation.tags as string[] | undefined) ?? []);
    assert.deepEqual(
      used.filter((tag) => !defined.has(tag)),
      [],
    );
  });

  test('response headers: where each one applies', () => {
    const headers = (key: string, status: string) =>
      Object.keys(op(key).responses?.[status].headers ?? {}).sort();
    assert.deepEqual(headers('POST /v1/orders', '201'), [
      'Deprecation',
      'ETag',
      'Idempotent-Replayed',
      'Link',
      'Location',
      'RateLimit',
      'RateLimit-Policy',
      'Steadfast-Version',
      'Sunset',
      'X-Request-Id',
    ]);
    assert.deepEqual(headers('POST /v1/orders/{id}/pay', '202'), [
      'Deprecation',
      'Idempotent-Replayed',
      'Link',
      'Location',
      'RateLimit',
      'RateLimit-Policy',
      'Retry-After',
      'Steadfast-Version',
      'Sunset',
      'X-Request-Id',
    ]);
    assert.ok(headers('GET /v1/orders/{id}', '200').includes('ETag'));
    assert.ok(!headers('GET /v1/orders', '200').includes('ETag'), 'a list has no ETag');
    assert.deepEqual(
      headers('POST /webhooks/payments', Object.keys(op('POST /webhooks/payments').responses ?? {})[0]),
      ['X-Request-Id'],
    );
    const problem412 = (spec.components.responses as Record<string, { headers: object }>).Problem412;
    assert.ok('ETag' in problem412.headers, 'a 412 carries the current ETag');
    for (const name of [
      'ETag',
      'Location',
      'Retry-After',
      'Idempotent-Replayed',
      'RateLimit',
      'RateLimit-Policy',
    ])
      assert.ok(spec.components.headers?.[name], `components.headers.${name}`);
  });

  test('every /v1 operation takes an optional Steadfast-Version header (a date)', () => {
    const versioned = operationsOf(spec).filter((entry) => entry.path.startsWith('/v1/'));
    assert.ok(versioned.length >= 24);
    for (const { key, operation } of versioned) {
      assert.ok(
        operation.parameters?.some((p) => p.$ref === '#/components/parameters/SteadfastVersion'),
        `${key} documents Steadfast-Version`,
      );
    }
    assert.deepEqual(spec.components.parameters?.SteadfastVersion, {
      in: 'header',
      name: 'Steadfast-Version',
      required: false,
      description:
        'The API version (a date) to speak for this request; without it the tenant’s pinned version applies.',
      // the document of a version asks for that version (/openapi.json: the newest)
      schema: { type: 'string', enum: ['2026-12-01'], description: 'the version of this document' },
    });
  });

  test('PATCH takes a merge patch; optional query parameters are not required', () => {
    assert.deepEqual(Object.keys(op('PATCH /v1/orders/{id}').requestBody?.content ?? {}), [
      'application/merge-patch+json',
      'application/json',
    ]);
    const list = op('GET /v1/orders').parameters ?? [];
    for (const name of ['status', 'limit', 'cursor']) {
      const parameter = list.find((p) => p.name === name);
      assert.equal(parameter?.required, false, name);
      assert.ok(parameter?.description, `${name} is described`);
    }
  });

  test('the operation result is typed per kind', async () => {
    const operation = spec.components.schemas?.Operation as Node;
    assert.deepEqual(operation.discriminator, {
      propertyName: 'kind',
      mapping: {
        payment: '#/components/schemas/PaymentOperation',
        reconciliation: '#/components/schemas/ReconciliationOperation',
      },
    });
    const checker = await createContractChecker(spec);
    const read = (body: object) =>
      checker.check({
        method: 'GET',
        path: '/v1/operations/op_01',
        status: 200,
        contentType: 'application/json',
        body: JSON.stringify({
          id: 'op_01',
          status: 'succeeded',
          resource: '/v1/orders/ord_01',
          createdAt: '2026-01-01T00:00:00.000Z',
          updatedAt: '2026-01-01T00:00:01.000Z',
          ...body,
        }),
      });
    assert.deepEqual(read({ kind: 'payment', result: { orderId: 'ord_01', chargeId: 'ch_1' } }), []);
    assert.deepEqual(read({ kind: 'payment', result: { chargeId: 'ch_1', chargeStatus: 'pending' } }), []);
    assert.deepEqual(
      read({ kind: 'reconciliation', result: { checked: 3, corrected: 1, abandoned: 0, mismatched: 0 } }),
      [],
    );
    assert.equal(
      read({ kind: 'payment', result: { checked: 3, corrected: 1, abandoned: 0, mismatched: 0 } }).length,
      1,
    );
    assert.equal(read({ kind: 'reconciliation', result: { orderId: 'ord_01', chargeId: 'ch_1' } }).length, 1);
    assert.equal(read({ kind: 'refund' }).length, 1, 'an undocumented kind breaks the contract');
  });
});
