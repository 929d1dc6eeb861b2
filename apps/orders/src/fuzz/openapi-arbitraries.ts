/**
 * Requests generated from the OpenAPI document, one arbitrary per operation.
 * A request is symbolic where the answer depends on the data (an existing
 * order, its current ETag, a fresh Idempotency-Key): the executor resolves
 * those against the database at run time, so counter-examples stay readable
 * and replay with the same seed.
 */
import fc from 'fast-check';
import {
  choice,
  type FuzzJson,
  type HeaderChoice,
  headerText,
  nastyString,
  nastyValue,
  RAW_BODIES,
  RAW_URL_PIECES,
} from './nasty-values.ts';
import { type JsonSchema, mutatedValue, validString, validValue } from './schema-arbitraries.ts';
import { webhookBodyArbitrary, webhookOf } from './webhook-arbitraries.ts';

interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header';
  required?: boolean;
  schema: JsonSchema;
}
interface OpenApiOperation {
  parameters?: Parameter[];
  requestBody?: { content: Record<string, { schema: JsonSchema }> };
}
export interface OpenApiDocument {
  paths: Record<string, Record<string, OpenApiOperation>>;
}

export interface FuzzOperation {
  /** e.g. `POST /v1/orders/{id}/pay` */
  name: string;
  method: string;
  /** the document's path template, `{id}` style */
  path: string;
  pathParams: Parameter[];
  queryParams: Parameter[];
  bodySchema: JsonSchema | undefined;
  webhook: boolean;
}

export function operationsOf(doc: OpenApiDocument): FuzzOperation[] {
  return Object.entries(doc.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, op]) => {
      const params = op.parameters ?? [];
      const content = op.requestBody?.content ?? {};
      return {
        name: `${method.toUpperCase()} ${path}`,
        method: method.toUpperCase(),
        path,
        pathParams: params.filter((p) => p.in === 'path'),
        queryParams: params.filter((p) => p.in === 'query'),
        bodySchema: Object.values(content)[0]?.schema,
        webhook: path.startsWith('/webhooks/'),
      };
    }),
  );
}

export type PathValue =
  /** an existing resource of the tenant, chosen by prefix (and status for orders) */
  | { kind: 'known'; status: string; index: number }
  /** an order of another tenant: must be 404 */
  | { kind: 'foreign' }
  /** URL text as is: valid-looking unknown ids, bad encodings, huge ids */
  | { kind: 'raw'; value: string }
  /** any string, percent-encoded */
  | { kind: 'text'; value: string };

export type FuzzBody = { kind: 'none' } | { kind: 'json'; value: FuzzJson } | { kind: 'raw'; text: string };

export interface FuzzRequest {
  path: PathValue[];
  /** name, value, whether the value is URL text already (else it is percent-encoded) */
  query: [string, string, boolean][];
  auth: HeaderChoice<'tenant' | 'plain' | 'none'>;
  idempotencyKey: HeaderChoice<'fresh' | 'reused' | 'none'>;
  ifMatch: HeaderChoice<'none' | 'current' | 'stale' | '*'>;
  prefer: string | null;
  /** 'default': application/json when there is a body */
  contentType: string | null;
  body: FuzzBody;
  extraHeaders: [string, string][];
  webhook: WebhookDelivery | null;
}

export interface WebhookDelivery {
  signature: 'valid' | 'wrong-secret' | 'none' | 'garbage';
  id: HeaderChoice<'fresh' | 'reused'>;
  timestampOffsetS: number;
}

const pathValue = (param: Parameter): fc.Arbitrary<PathValue> =>
  fc.oneof(
    {
      arbitrary: fc.record({
        kind: fc.constant('known' as const),
        status: fc.constantFrom('any', 'draft', 'submitted', 'approved', 'payment_pending', 'canceled'),
        index: fc.nat(50),
      }),
      weight: 6,
    },
    { arbitrary: fc.constant({ kind: 'foreign' as const }), weight: 1 },
    {
      arbitrary: fc
        .oneof(fc.constantFrom(...RAW_URL_PIECES), validString(param.schema))
        .map((value) => ({ kind: 'raw' as const, value })),
      weight: 2,
    },
    { arbitrary: nastyString().map((value) => ({ kind: 'text' as const, value })), weight: 2 },
  );

const queryValue = (param: Parameter): fc.Arbitrary<[string, string, boolean]> =>
  fc.oneof(
    {
      arbitrary: validValue(param.schema).map((v): [string, string, boolean] => [
        param.name,
        String(v),
        false,
      ]),
      weight: 12,
    },
    { arbitrary: nastyString().map((v): [string, string, boolean] => [param.name, v, false]), weight: 2 },
    {
      arbitrary: fc
        .constantFrom(...RAW_URL_PIECES)
        .map((v): [string, string, boolean] => [param.name, v, true]),
      weight: 1,
    },
  );

const queryOf = (op: FuzzOperation): fc.Arbitrary<[string, string, boolean][]> => {
  const names = [...op.queryParams.map((p) => p.name), 'unknown', '__proto__', 'limit[]', ''];
  const extra = fc.array(
    fc.tuple(
      fc.constantFrom(...names),
      fc.oneof(nastyString(), fc.constantFrom('1', '20', '0', '-1', '1e400')),
    ),
    { maxLength: 3 },
  );
  // most requests carry only listed parameters, so the valid ones reach the handler
  const extras = fc.oneof({ arbitrary: fc.constant([]), weight: 3 }, { arbitrary: extra, weight: 1 });
  const duplicated = fc.oneof(
    { arbitrary: fc.constant(false), weight: 3 },
    { arbitrary: fc.constant(true), weight: 1 },
  );
  const listed = fc.tuple(...op.queryParams.map((p) => fc.option(queryValue(p), { nil: undefined })));
  return fc.tuple(listed, extras, duplicated).map(([known, more, duplicate]) => {
    const pairs = known.filter((p) => p !== undefined);
    const extras = more.map(([n, v]): [string, string, boolean] => [n, v, false]);
    return [...pairs, ...(duplicate ? pairs : []), ...extras];
  });
};

const VALID_ORDER: FuzzJson = { currency: 'EUR', items: [{ sku: 'SKU-1', quantity: 1 }] };

const bodyOf = (op: FuzzOperation): fc.Arbitrary<FuzzBody> => {
  const json = (arb: fc.Arbitrary<FuzzJson>) => arb.map((value): FuzzBody => ({ kind: 'json', value }));
  const raw = fc.constantFrom(...RAW_BODIES).map((text): FuzzBody => ({ kind: 'raw', text }));
  const none = fc.constant<FuzzBody>({ kind: 'none' });
  if (op.webhook) return webhookBodyArbitrary();
  if (!op.bodySchema) {
    return fc.oneof(
      { arbitrary: none, weight: 6 },
      { arbitrary: json(fc.oneof(nastyValue(), fc.constant(VALID_ORDER))), weight: 2 },
      { arbitrary: raw, weight: 1 },
    );
  }
  return fc.oneof(
    { arbitrary: json(validValue(op.bodySchema)), weight: 3 },
    { arbitrary: json(mutatedValue(op.bodySchema)), weight: 5 },
    { arbitrary: json(nastyValue()), weight: 1 },
    { arbitrary: raw, weight: 1 },
    { arbitrary: none, weight: 1 },
  );
};

export const CONTENT_TYPES = [
  'application/json; charset=utf-8',
  'application/merge-patch+json',
  'APPLICATION/JSON',
  'application/json; charset=latin1',
  'application/json;;;',
  'application/jsonx',
  'application/*',
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  '',
];

const EXTRA_HEADERS: [string, string][] = [
  ['steadfast-version', '1999-01-01'],
  ['steadfast-version', 'garbage'],
  ['x-request-id', 'r'.repeat(5_000)],
  ['traceparent', '00-zz-zz-zz'],
  ['accept', 'text/html'],
  ['accept', 'application/xml;q=0'],
  ['content-encoding', 'gzip'],
  ['content-encoding', 'br'],
  ['x-http-method-override', 'DELETE'],
  ['expect', '100-continue'],
];

/** Every request to one operation: valid, broken and hostile parts, mixed. */
export function requestArbitrary(op: FuzzOperation): fc.Arbitrary<FuzzRequest> {
  return fc.record({
    path: fc.tuple(...op.pathParams.map(pathValue)),
    query: queryOf(op),
    auth: choice(
      [...Array(8).fill('tenant'), 'plain', 'none'],
      [
        'Bearer',
        'Bearer ',
        `Bearer ${'k'.repeat(300)}`,
        'Basic dXNlcjpwYXNz',
        'bearer sk_unknown_key_000000000000',
        'Bearer a b c',
      ],
      18,
    ),
    idempotencyKey: choice(
      [...Array(6).fill('fresh'), 'reused', 'none'],
      ['x'.repeat(256), 'x'.repeat(300), '"quoted-key"', '"bad\\q"', '""', 'a,b', 'ключ'],
      14,
    ),
    ifMatch: choice(
      ['none', 'current', 'current', 'stale', '*'],
      ['"1"', 'W/"1"', '"1", "2"', '"999999999999999999999"', '"-1"', '"abc"', '1', '""'],
    ),
    // only waits of 0 s: a valid wait=N holds the answer N seconds and buys no coverage
    prefer: fc.option(
      fc.oneof(
        fc.constantFrom(
          'wait=0',
          'respond-async',
          'wait=abc',
          'wait=-1',
          'wait=1e400',
          'wait=9999999',
          'wait=',
        ),
        headerText().filter((s) => !/wait\s*=\s*0*[1-9]/i.test(s)),
      ),
      { nil: null },
    ),
    contentType: fc.oneof(
      { arbitrary: fc.constant('default'), weight: 8 },
      { arbitrary: fc.constantFrom<string | null>(null, ...CONTENT_TYPES), weight: 2 },
    ),
    body: bodyOf(op),
    extraHeaders: fc.subarray(EXTRA_HEADERS, { maxLength: 2 }),
    webhook: webhookOf(op),
  });
}
