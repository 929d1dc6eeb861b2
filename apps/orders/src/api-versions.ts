/**
 * The Orders API's dated versions and the changes between them — the one
 * place to read what changed and when. The routes implement only the newest
 * shape; a client on an older version gets each newer change translated.
 * Every translation is written to accept both shapes (a stored answer from a
 * release before the change is already in the old shape), so an idempotent
 * replay across releases never loses a field.
 */
import {
  defineApiVersions,
  type JsonBody,
  type JsonSchema,
  type VersionChange,
} from '@steadfast/toolkit/versioning';

export const FIRST_VERSION = '2026-06-01';
export const API_VERSIONS = ['2026-06-01', '2026-09-01', '2026-12-01'] as const;
export const NEWEST_VERSION = API_VERSIONS[API_VERSIONS.length - 1];
/** served by the app (routes/api-version.ts): every version, its deprecation, the changelog */
export const VERSIONING_DOCS = '/versions';

const ORDER_ID = ':id';
/** every route whose answer is an order (or a page of them) */
const ORDER_ANSWERS = [
  'POST /v1/orders',
  'GET /v1/orders',
  `GET /v1/orders/${ORDER_ID}`,
  `PATCH /v1/orders/${ORDER_ID}`,
  ...['submit', 'approve', 'cancel', 'reopen'].map((action) => `POST /v1/orders/${ORDER_ID}/${action}`),
];

const isObject = (value: unknown): value is Record<string, JsonBody> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** apply `change` to the order, or to each order of a page (`{ data: [...] }`) */
function eachOrder(body: JsonBody, change: (order: Record<string, JsonBody>) => JsonBody): JsonBody {
  if (!isObject(body)) return body;
  if (Array.isArray(body.data))
    return { ...body, data: body.data.map((o: JsonBody) => (isObject(o) ? change(o) : o)) };
  return 'id' in body ? change(body) : body;
}

/** the same on a schema: an order schema, or a page schema whose `data` items are orders */
function eachOrderSchema(schema: JsonSchema, change: (order: JsonSchema) => JsonSchema): JsonSchema {
  const properties = schema.properties as Record<string, JsonSchema> | undefined;
  if (!properties) return schema;
  const data = properties.data as JsonSchema | undefined;
  if (data?.type === 'array' && isObject(data.items))
    return {
      ...schema,
      properties: { ...properties, data: { ...data, items: change(data.items as JsonSchema) } },
    };
  return 'id' in properties ? change(schema) : schema;
}

function replaceProperty(schema: JsonSchema, from: string, to: string, definition: JsonSchema): JsonSchema {
  const { [from]: _gone, ...properties } = (schema.properties ?? {}) as Record<string, JsonSchema>;
  const required = (schema.required as string[] | undefined)?.map((p) => (p === from ? to : p));
  return { ...schema, properties: { ...properties, [to]: definition }, ...(required ? { required } : {}) };
}

/** 2026-09-01: an amount carries its currency — `totalAmount: 1234` → `total: { amount: 1234, currency: "EUR" }` */
const totalAsMoney: VersionChange = {
  version: '2026-09-01',
  description:
    "An order's `totalAmount` (minor units) becomes `total: { amount, currency }`, so an amount never travels without its currency.",
  routes: ORDER_ANSWERS,
  response: (body, { problem }) =>
    problem
      ? body
      : eachOrder(body, (order) => {
          if (!isObject(order.total)) return order;
          const { total, ...rest } = order;
          return { ...rest, totalAmount: total.amount };
        }),
  schema: {
    response: (schema, status) =>
      status.startsWith('2')
        ? eachOrderSchema(schema, (order) =>
            replaceProperty(order, 'total', 'totalAmount', { type: 'integer', description: 'minor units' }),
          )
        : schema,
  },
};

const EMAIL = { type: 'string', format: 'email', maxLength: 254 };

/** a validation problem about `/customer/email` is about `/customerEmail` for a client that sent that */
function oldPointers(problem: JsonBody): JsonBody {
  if (!isObject(problem) || !Array.isArray(problem.errors)) return problem;
  return {
    ...problem,
    errors: problem.errors.map((e: JsonBody) =>
      isObject(e) && typeof e.pointer === 'string' && /^\/customer(\/email)?$/.test(e.pointer)
        ? { ...e, pointer: '/customerEmail' }
        : e,
    ),
  };
}

/** 2026-12-01: a customer is more than an address — `customerEmail` → `customer: { email, name }` */
const customerObject: VersionChange = {
  version: '2026-12-01',
  description:
    "An order's `customerEmail` becomes `customer: { email, name }` (or `null`), on creates, patches and every answer.",
  routes: ORDER_ANSWERS,
  request: (body) => {
    if (!isObject(body) || !('customerEmail' in body) || 'customer' in body) return body;
    // only the email changes: a name another client set is kept (a patch with null removes the email)
    const { customerEmail, ...rest } = body;
    return { ...rest, customer: { email: customerEmail } };
  },
  response: (body, { problem }) =>
    problem
      ? oldPointers(body)
      : eachOrder(body, (order) => {
          if (!('customer' in order)) return order;
          const { customer, ...rest } = order;
          return { ...rest, customerEmail: isObject(customer) ? (customer.email ?? null) : null };
        }),
  schema: {
    request: (schema) => {
      const properties = (schema.properties ?? {}) as Record<string, JsonSchema>;
      if (!('customer' in properties)) return schema;
      // the patch's customer may be null (it removes the customer), the create's may not
      const nullable = JSON.stringify(properties.customer).includes('"null"');
      return replaceProperty(
        schema,
        'customer',
        'customerEmail',
        nullable ? { anyOf: [EMAIL, { type: 'null' }] } : EMAIL,
      );
    },
    response: (schema, status) =>
      status.startsWith('2')
        ? eachOrderSchema(schema, (order) =>
            replaceProperty(order, 'customer', 'customerEmail', {
              anyOf: [{ type: 'string' }, { type: 'null' }],
            }),
          )
        : schema,
  },
  events: (_type, payload) =>
    isObject(payload) && isObject(payload.order) && 'customer' in payload.order
      ? (() => {
          const { customer, ...order } = payload.order;
          return {
            ...payload,
            order: { ...order, customerEmail: isObject(customer) ? (customer.email ?? null) : null },
          };
        })()
      : payload,
};

export function ordersApiVersions(options: { docsUrl?: string } = {}) {
  return defineApiVersions({
    versions: [...API_VERSIONS],
    changes: [totalAsMoney, customerObject],
    deprecations: {
      [FIRST_VERSION]: {
        deprecatedAt: '2026-12-01T00:00:00Z',
        sunsetAt: '2027-12-01T00:00:00Z',
        link: options.docsUrl ?? VERSIONING_DOCS,
      },
    },
  });
}

export type OrdersApiVersions = ReturnType<typeof ordersApiVersions>;
