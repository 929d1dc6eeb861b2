/**
 * The schema rules of diffOpenApi, one change per case, in a request body and
 * in a response body: the same difference is breaking on one side and not on
 * the other (a client must be able to send what it sent, and to read what it gets).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { diffOpenApi } from './document.ts';

type Row = [breaking: boolean, kind: string, location: string, message: string];

/** one operation whose request body and 201 response body are the given schemas */
function api(request: object, response: object, components: object = {}) {
  return {
    openapi: '3.1.0',
    info: { title: 'fixture', version: '1' },
    components: { schemas: components },
    paths: {
      '/v1/things': {
        post: {
          requestBody: { required: true, content: { 'application/json': { schema: request } } },
          responses: {
            '201': { description: 'created', content: { 'application/json': { schema: response } } },
          },
        },
      },
    },
  };
}

const rows = (diff: ReturnType<typeof diffOpenApi>): Row[] =>
  diff.changes.map((c) => {
    assert.equal(c.path, 'POST /v1/things');
    return [c.breaking, c.kind, c.location, c.message];
  });
const inRequest = (before: object, after: object) => rows(diffOpenApi(api(before, {}), api(after, {})));
const inResponse = (before: object, after: object) => rows(diffOpenApi(api({}, before), api({}, after)));

const obj = (properties: object, required: string[] = [], extra: object = {}) => ({
  type: 'object',
  properties,
  required,
  ...extra,
});
const str = { type: 'string' };

describe('fields', () => {
  test('an optional field added: not breaking on either side', () => {
    assert.deepEqual(inRequest(obj({ a: str }), obj({ a: str, b: str })), [
      [false, 'field-added', 'request.body.b', 'request field "b" added'],
    ]);
    assert.deepEqual(inResponse(obj({ a: str }), obj({ a: str, total: { type: 'integer' } })), [
      [false, 'field-added', 'response.201.body.total', 'response field "total" added'],
    ]);
  });
  test('a required field added: breaking in a request, not in a response', () => {
    assert.deepEqual(inRequest(obj({ a: str }), obj({ a: str, b: str }, ['b'])), [
      [true, 'required-field-added', 'request.body.b', 'request field "b" added, required'],
    ]);
    assert.deepEqual(inResponse(obj({ a: str }), obj({ a: str, b: str }, ['b'])), [
      [false, 'field-added', 'response.201.body.b', 'response field "b" added'],
    ]);
  });
  test('a field removed: breaking in a response; in a request only when unknown fields are refused', () => {
    assert.deepEqual(inResponse(obj({ a: str, total: str }), obj({ a: str })), [
      [true, 'field-removed', 'response.201.body.total', 'response field "total" removed'],
    ]);
    assert.deepEqual(inRequest(obj({ a: str, b: str }), obj({ a: str })), [
      [false, 'field-removed', 'request.body.b', 'request field "b" removed (ignored if sent)'],
    ]);
    const closed = { additionalProperties: false };
    assert.deepEqual(inRequest(obj({ a: str, b: str }, [], closed), obj({ a: str }, [], closed)), [
      [
        true,
        'field-removed',
        'request.body.b',
        'request field "b" removed (a client still sending it is refused)',
      ],
    ]);
  });
  test('optional → required: breaking in a request; the reverse is breaking in a response', () => {
    assert.deepEqual(inRequest(obj({ a: str }), obj({ a: str }, ['a'])), [
      [true, 'field-now-required', 'request.body.a', 'request field "a" is now required'],
    ]);
    assert.deepEqual(inResponse(obj({ a: str }), obj({ a: str }, ['a'])), [
      [false, 'field-now-required', 'response.201.body.a', 'response field "a" is now required'],
    ]);
    assert.deepEqual(inRequest(obj({ a: str }, ['a']), obj({ a: str })), [
      [false, 'field-now-optional', 'request.body.a', 'request field "a" is now optional'],
    ]);
    assert.deepEqual(inResponse(obj({ a: str }, ['a']), obj({ a: str })), [
      [true, 'field-now-optional', 'response.201.body.a', 'response field "a" is now optional'],
    ]);
  });
  test('nested fields and array items are named by their path', () => {
    const before = obj({ customer: obj({ email: str }), items: { type: 'array', items: obj({ sku: str }) } });
    const after = obj({ customer: obj({ email: str }, ['email']), items: { type: 'array', items: obj({}) } });
    assert.deepEqual(inRequest(before, after), [
      [
        true,
        'field-now-required',
        'request.body.customer.email',
        'request field "customer.email" is now required',
      ],
      [
        false,
        'field-removed',
        'request.body.items[].sku',
        'request field "items[].sku" removed (ignored if sent)',
      ],
    ]);
  });
  test('additionalProperties: false added is breaking in a request only', () => {
    assert.deepEqual(inRequest(obj({ a: str }), obj({ a: str }, [], { additionalProperties: false })), [
      [
        true,
        'additional-properties-forbidden',
        'request.body',
        'request body no longer accepts unknown fields',
      ],
    ]);
    assert.deepEqual(inResponse(obj({ a: str }), obj({ a: str }, [], { additionalProperties: false })), [
      [
        false,
        'additional-properties-forbidden',
        'response.201.body',
        'response body no longer has other fields',
      ],
    ]);
    assert.deepEqual(inRequest(obj({ a: str }, [], { additionalProperties: false }), obj({ a: str })), [
      [false, 'additional-properties-allowed', 'request.body', 'request body now accepts unknown fields'],
    ]);
  });
});

describe('null, types, enums', () => {
  test('null allowed in a response is breaking; in a request it is not', () => {
    const before = obj({ email: str });
    const after = obj({ email: { anyOf: [str, { type: 'null' }] } });
    assert.deepEqual(inResponse(before, after), [
      [true, 'nullable-added', 'response.201.body.email', 'response field "email" may now be null'],
    ]);
    assert.deepEqual(inRequest(before, after), [
      [false, 'nullable-added', 'request.body.email', 'request field "email" may now be null'],
    ]);
    assert.deepEqual(inRequest(after, before), [
      [true, 'nullable-removed', 'request.body.email', 'request field "email" is no longer nullable'],
    ]);
  });
  test('the three spellings of "string or null" are the same schema', () => {
    const anyOf = obj({ email: { anyOf: [str, { type: 'null' }] } });
    const list = obj({ email: { type: ['string', 'null'] } });
    const openapi30 = obj({ email: { type: 'string', nullable: true } });
    assert.deepEqual(inResponse(anyOf, list), []);
    assert.deepEqual(inResponse(list, openapi30), []);
  });
  test('a type changed is breaking on both sides; integer → number only in a response', () => {
    assert.deepEqual(inRequest(obj({ n: str }), obj({ n: { type: 'integer' } })), [
      [true, 'type-changed', 'request.body.n', 'request field "n" type changed from string to integer'],
    ]);
    assert.deepEqual(inResponse(obj({ n: str }), obj({ n: { type: 'integer' } })), [
      [true, 'type-changed', 'response.201.body.n', 'response field "n" type changed from string to integer'],
    ]);
    assert.deepEqual(inRequest(obj({ n: { type: 'integer' } }), obj({ n: { type: 'number' } })), [
      [false, 'type-widened', 'request.body.n', 'request field "n" type widened from integer to number'],
    ]);
    assert.deepEqual(inResponse(obj({ n: { type: 'integer' } }), obj({ n: { type: 'number' } })), [
      [true, 'type-widened', 'response.201.body.n', 'response field "n" type widened from integer to number'],
    ]);
    assert.deepEqual(inRequest(obj({ n: { type: 'number' } }), obj({ n: { type: 'integer' } })), [
      [true, 'type-narrowed', 'request.body.n', 'request field "n" type narrowed from number to integer'],
    ]);
  });
  test('a changed type is one change, not one per field underneath', () => {
    assert.deepEqual(inResponse(obj({ c: obj({ a: str, b: str }) }), obj({ c: str })), [
      [true, 'type-changed', 'response.201.body.c', 'response field "c" type changed from object to string'],
    ]);
  });
  const status = (...values: string[]) => obj({ status: { type: 'string', enum: values } });
  test('an enum value removed from what a request accepts is breaking', () => {
    assert.deepEqual(inRequest(status('draft', 'paid'), status('draft')), [
      [true, 'enum-value-removed', 'request.body.status', 'request field "status" no longer accepts "paid"'],
    ]);
    assert.deepEqual(inResponse(status('draft', 'paid'), status('draft')), [
      [
        false,
        'enum-value-removed',
        'response.201.body.status',
        'response field "status" no longer returns "paid"',
      ],
    ]);
  });
  test('a new enum value is not breaking, in a response either (clients tolerate unknown values)', () => {
    assert.deepEqual(inResponse(status('draft'), status('draft', 'refunded')), [
      [
        false,
        'enum-value-added',
        'response.201.body.status',
        'response field "status" may now be "refunded" (a new enum value)',
      ],
    ]);
    assert.deepEqual(inRequest(status('draft'), status('draft', 'paid')), [
      [false, 'enum-value-added', 'request.body.status', 'request field "status" now accepts "paid"'],
    ]);
  });
  test('a field restricted to a list where it was free is breaking in a request', () => {
    assert.deepEqual(inRequest(obj({ status: str }), status('draft')), [
      [true, 'enum-added', 'request.body.status', 'request field "status" is now restricted to "draft"'],
    ]);
  });
  test('an anyOf alternative added is breaking in a response, removed in a request', () => {
    const one = obj({ id: { anyOf: [str, { type: 'integer' }] } });
    const two = obj({ id: { anyOf: [str, { type: 'integer' }, { type: 'boolean' }] } });
    assert.deepEqual(inResponse(one, two), [
      [
        true,
        'alternative-added',
        'response.201.body.id',
        'response field "id" has a new alternative (boolean)',
      ],
    ]);
    assert.deepEqual(inRequest(two, one), [
      [
        true,
        'alternative-removed',
        'request.body.id',
        'request field "id" no longer has alternative 3 (boolean)',
      ],
    ]);
  });
});

describe('ranges, patterns, formats, defaults, annotations', () => {
  const field = (schema: object) => obj({ v: schema });
  const cases: [string, object, object, Row, boolean][] = [
    [
      'maxLength lowered',
      { type: 'string', maxLength: 254 },
      { type: 'string', maxLength: 100 },
      [true, 'range-narrowed', 'request.body.v', 'request field "v" maxLength lowered from 254 to 100'],
      false,
    ],
    [
      'maxLength raised',
      { type: 'string', maxLength: 100 },
      { type: 'string', maxLength: 254 },
      [false, 'range-widened', 'request.body.v', 'request field "v" maxLength raised from 100 to 254'],
      false,
    ],
    [
      'maximum added',
      { type: 'integer' },
      { type: 'integer', maximum: 10 },
      [true, 'range-narrowed', 'request.body.v', 'request field "v" maximum 10 added'],
      false,
    ],
    [
      'minimum raised',
      { type: 'integer', minimum: 1 },
      { type: 'integer', minimum: 5 },
      [true, 'range-narrowed', 'request.body.v', 'request field "v" minimum raised from 1 to 5'],
      false,
    ],
    [
      'minItems removed',
      { type: 'array', minItems: 1 },
      { type: 'array' },
      [false, 'range-widened', 'request.body.v', 'request field "v" minItems 1 removed'],
      false,
    ],
    [
      'pattern added',
      str,
      { type: 'string', pattern: '^[A-Z]{3}$' },
      [true, 'pattern-added', 'request.body.v', 'request field "v" pattern ^[A-Z]{3}$ added'],
      false,
    ],
    [
      'pattern changed',
      { type: 'string', pattern: '^a' },
      { type: 'string', pattern: '^b' },
      [true, 'pattern-changed', 'request.body.v', 'request field "v" pattern changed from ^a to ^b'],
      false,
    ],
    [
      'pattern removed',
      { type: 'string', pattern: '^a' },
      str,
      [false, 'pattern-removed', 'request.body.v', 'request field "v" pattern ^a removed'],
      false,
    ],
    [
      'format changed',
      { type: 'string', format: 'date' },
      { type: 'string', format: 'date-time' },
      [true, 'format-changed', 'request.body.v', 'request field "v" format changed from date to date-time'],
      true,
    ],
    [
      'format added',
      str,
      { type: 'string', format: 'email' },
      [true, 'format-added', 'request.body.v', 'request field "v" format email added'],
      false,
    ],
    [
      'format removed',
      { type: 'string', format: 'date-time' },
      str,
      [false, 'format-removed', 'request.body.v', 'request field "v" format date-time removed'],
      true,
    ],
    [
      'default changed',
      { type: 'integer', default: 20 },
      { type: 'integer', default: 50 },
      [true, 'default-changed', 'request.body.v', 'request field "v" default changed from 20 to 50'],
      false,
    ],
    [
      'description changed',
      { type: 'string', description: 'old' },
      { type: 'string', description: 'new' },
      [false, 'annotation-changed', 'request.body.v', 'request field "v" description changed'],
      false,
    ],
    [
      'an unknown keyword',
      str,
      { type: 'string', not: { const: 'x' } },
      [true, 'schema-changed', 'request.body.v', 'request field "v" not changed (not classified: review it)'],
      true,
    ],
  ];
  for (const [name, before, after, inReq, breakingInResponse] of cases)
    test(`${name}: ${inReq[0] ? 'breaking' : 'not breaking'} in a request, ${breakingInResponse ? 'breaking' : 'not breaking'} in a response`, () => {
      assert.deepEqual(inRequest(field(before), field(after)), [inReq]);
      const [, kind, , message] = inReq;
      assert.deepEqual(inResponse(field(before), field(after)), [
        [breakingInResponse, kind, 'response.201.body.v', message.replace('request field', 'response field')],
      ]);
    });
  test('OpenAPI 3.0 boolean exclusive bounds equal their 3.1 numbers', () => {
    assert.deepEqual(
      inRequest(
        field({ type: 'number', minimum: 0, exclusiveMinimum: true }),
        field({ type: 'number', exclusiveMinimum: 0 }),
      ),
      [],
    );
  });
});

describe('$ref', () => {
  test('a schema moved into components is no change; a change inside it is reported where it is used', () => {
    const inline = obj({ customer: obj({ email: str }) });
    const byRef = obj({ customer: { $ref: '#/components/schemas/Customer' } });
    assert.deepEqual(
      rows(diffOpenApi(api({}, inline), api({}, byRef, { Customer: obj({ email: str }) }))),
      [],
    );
    assert.deepEqual(
      rows(
        diffOpenApi(api({}, byRef, { Customer: obj({ email: str }) }), api({}, byRef, { Customer: obj({}) })),
      ),
      [
        [
          true,
          'field-removed',
          'response.201.body.customer.email',
          'response field "customer.email" removed',
        ],
      ],
    );
  });
  test('allOf parts are merged before comparing', () => {
    const merged = obj({ a: str, b: str }, ['a']);
    const parts = { allOf: [obj({ a: str }, ['a']), obj({ b: str })] };
    assert.deepEqual(inResponse(merged, parts), []);
  });
});
