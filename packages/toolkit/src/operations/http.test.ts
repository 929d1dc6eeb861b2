/** The HTTP side of operations with literal expectations: Prefer: wait, the public shape, 202 vs 200, the schema. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { FastifyRequest } from 'fastify';
import { MAX_WAIT_S, OperationSchema, operationResult, preferredWaitS, publicOperation } from './http.ts';
import type { Operation } from './store.ts';

const withPrefer = (prefer: unknown) => ({ headers: { prefer } }) as unknown as FastifyRequest;

const op = (fields: Partial<Operation> = {}): Operation => ({
  id: 'op_1',
  tenantId: 'ten_a',
  kind: 'payment',
  status: 'running',
  resource: '/v1/orders/o_1',
  result: null,
  error: null,
  lastError: null,
  createdAt: '2026-12-01T10:00:00.000Z',
  updatedAt: '2026-12-01T10:00:01.000Z',
  ...fields,
});

describe('preferredWaitS', () => {
  test('wait=N among other preferences, in any case and spacing, capped at 30 s', () => {
    assert.equal(MAX_WAIT_S, 30);
    const CASES: [unknown, number | undefined][] = [
      ['wait=5', 5],
      ['WAIT = 7', 7],
      ['respond-async, wait=10', 10],
      ['wait=10;foo', 10],
      ['return=minimal wait=3', 3],
      ['wait=0', 0],
      ['wait=30', 30],
      ['wait=31', 30],
      ['wait=999999', 30],
      ['wait=1234567', undefined],
      ['wait=', undefined],
      ['wait=-1', undefined],
      ['wait=2.5', undefined],
      ['nowait=5', undefined],
      ['wait=5x', undefined],
      ['respond-async', undefined],
      [undefined, undefined],
      [['wait=5', 'wait=6'], undefined],
    ];
    for (const [header, expected] of CASES)
      assert.equal(preferredWaitS(withPrefer(header)), expected, JSON.stringify(header));
  });
});

describe('publicOperation', () => {
  test('no tenant; result, error and lastError only when they have a value', () => {
    assert.deepEqual(publicOperation(op()), {
      id: 'op_1',
      kind: 'payment',
      status: 'running',
      resource: '/v1/orders/o_1',
      createdAt: '2026-12-01T10:00:00.000Z',
      updatedAt: '2026-12-01T10:00:01.000Z',
    });
    assert.deepEqual(publicOperation(op({ result: undefined, error: undefined, lastError: undefined })), {
      id: 'op_1',
      kind: 'payment',
      status: 'running',
      resource: '/v1/orders/o_1',
      createdAt: '2026-12-01T10:00:00.000Z',
      updatedAt: '2026-12-01T10:00:01.000Z',
    });
    const full = publicOperation(
      op({ result: 0, error: { type: '/problems/x' }, lastError: false, resource: null }),
    );
    assert.deepEqual(
      [full.result, full.error, full.lastError, full.resource],
      [0, { type: '/problems/x' }, false, null],
    );
  });
});

describe('operationResult', () => {
  test('while open: 202 with Location and Retry-After (1 s unless given)', () => {
    for (const status of ['pending', 'running'] as const) {
      const answer = operationResult(op({ status }), { location: '/v1/operations/op_1' });
      assert.equal(answer.status, 202);
      assert.deepEqual(answer.headers, { Location: '/v1/operations/op_1', 'Retry-After': '1' });
    }
    assert.deepEqual(operationResult(op(), { location: '/x', retryAfterS: 5 }).headers, {
      Location: '/x',
      'Retry-After': '5',
    });
  });

  test('once ended: 200 without Location or Retry-After', () => {
    for (const status of ['succeeded', 'failed', 'canceled'] as const) {
      const answer = operationResult(op({ status }), { location: '/x', retryAfterS: 5 });
      assert.deepEqual([answer.status, answer.headers], [200, {}], status);
      assert.equal(answer.body.status, status);
    }
  });

  test('the wait honoured is named in Preference-Applied, 0 included', () => {
    assert.equal(
      operationResult(op(), { location: '/x', waitedS: 0 }).headers['Preference-Applied'],
      'wait=0',
    );
    assert.equal(
      operationResult(op({ status: 'succeeded' }), { location: '/x', waitedS: 12 }).headers[
        'Preference-Applied'
      ],
      'wait=12',
    );
    assert.equal('Preference-Applied' in operationResult(op(), { location: '/x' }).headers, false);
  });
});

describe('OperationSchema', () => {
  test('its title, status values, required members and formats', () => {
    const schema = OperationSchema as unknown as {
      title: string;
      required: string[];
      properties: Record<string, { enum?: string[]; format?: string; description?: string }>;
    };
    assert.equal(schema.title, 'Operation');
    assert.deepEqual(schema.properties.status.enum, [
      'pending',
      'running',
      'succeeded',
      'failed',
      'canceled',
    ]);
    assert.deepEqual(schema.required, ['id', 'kind', 'status', 'resource', 'createdAt', 'updatedAt']);
    assert.equal(schema.properties.createdAt.format, 'date-time');
    assert.equal(schema.properties.updatedAt.format, 'date-time');
    assert.match(String(schema.properties.error.description), /RFC 9457/);
    assert.match(String(schema.properties.lastError.description), /transient failure/);
  });
});
