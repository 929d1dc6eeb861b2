/** TypeBox schemas of the Orders API: validation, types and OpenAPI from one source. */

import { idPattern } from '@steadfast/toolkit/ids';
import { type Static, Type } from 'typebox';
import { ORDER_STATUSES, type OrderStatus } from '../domain/state-machine.ts';
import { PageLimit } from './cursor.ts';

export const SKU_PATTERN = '^[A-Z0-9][A-Z0-9-]{0,63}$';
export const MAX_ITEMS = 100;
export const MAX_METADATA_KEYS = 20;

const Status = Type.Unsafe<OrderStatus>({ type: 'string', enum: [...ORDER_STATUSES] });
const Sku = Type.String({ pattern: SKU_PATTERN, description: 'upper-case letters, digits and dashes' });
const Currency = Type.String({ pattern: '^[A-Z]{3}$', description: 'ISO 4217 code, e.g. EUR' });
const Email = Type.String({ format: 'email', maxLength: 254 });
const MetadataKey = { pattern: '^[A-Za-z0-9_.:-]{1,40}$' };

export const ItemInput = Type.Object(
  { sku: Sku, quantity: Type.Integer({ minimum: 1, maximum: 10_000 }) },
  { additionalProperties: false },
);
const ItemsInput = Type.Array(ItemInput, { minItems: 1, maxItems: MAX_ITEMS });

const Metadata = Type.Unsafe<Record<string, string>>({
  type: 'object',
  description: `up to ${MAX_METADATA_KEYS} string values of at most 500 characters`,
  maxProperties: MAX_METADATA_KEYS,
  propertyNames: MetadataKey,
  additionalProperties: { type: 'string', maxLength: 500 },
});
const MetadataPatch = Type.Unsafe<Record<string, string | null>>({
  type: 'object',
  description: 'JSON merge patch of metadata: a null value removes the key',
  maxProperties: MAX_METADATA_KEYS,
  propertyNames: MetadataKey,
  additionalProperties: { type: ['string', 'null'], maxLength: 500 },
});

const Name = Type.String({ minLength: 1, maxLength: 200 });
const CustomerInput = Type.Object(
  { email: Type.Optional(Email), name: Type.Optional(Name) },
  { additionalProperties: false, title: 'CustomerInput' },
);
/** merge patch: a member set to null removes it; `customer: null` removes the customer */
const CustomerPatch = Type.Union([
  Type.Object(
    {
      email: Type.Optional(Type.Union([Email, Type.Null()])),
      name: Type.Optional(Type.Union([Name, Type.Null()])),
    },
    { additionalProperties: false },
  ),
  Type.Null(),
]);

export const CreateOrderBody = Type.Object(
  {
    currency: Currency,
    items: ItemsInput,
    customer: Type.Optional(CustomerInput),
    metadata: Type.Optional(Metadata),
  },
  { additionalProperties: false },
);
export type CreateOrderBody = Static<typeof CreateOrderBody>;

export const PatchOrderBody = Type.Object(
  {
    currency: Type.Optional(Currency),
    items: Type.Optional(ItemsInput),
    customer: Type.Optional(CustomerPatch),
    metadata: Type.Optional(MetadataPatch),
  },
  { additionalProperties: false, minProperties: 1 },
);
export type PatchOrderBody = Static<typeof PatchOrderBody>;

export const OrderParams = Type.Object({ id: Type.String({ pattern: idPattern('ord') }) });
export type OrderParams = Static<typeof OrderParams>;

export const ListOrdersQuery = Type.Object(
  {
    status: Type.Optional(Status),
    limit: PageLimit,
    cursor: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_-]{1,200}$' })),
  },
  { additionalProperties: false },
);
export type ListOrdersQuery = Static<typeof ListOrdersQuery>;

export const OrderSchema = Type.Object(
  {
    id: Type.String(),
    status: Status,
    currency: Type.String(),
    items: Type.Array(
      Type.Object({
        sku: Type.String(),
        quantity: Type.Integer(),
        unitAmount: Type.Integer({ description: 'minor units' }),
        amount: Type.Integer({ description: 'unitAmount × quantity, minor units' }),
      }),
    ),
    total: Type.Object(
      { amount: Type.Integer({ description: 'minor units' }), currency: Type.String() },
      { title: 'Money', description: 'the sum of the items' },
    ),
    customer: Type.Union([
      Type.Object(
        { email: Type.Union([Type.String(), Type.Null()]), name: Type.Union([Type.String(), Type.Null()]) },
        { title: 'Customer' },
      ),
      Type.Null(),
    ]),
    metadata: Type.Unsafe<Record<string, string>>({
      type: 'object',
      additionalProperties: { type: 'string' },
    }),
    lastPaymentError: Type.Union([Type.Object({}, { additionalProperties: true }), Type.Null()]),
    pricing: Type.Object({ asOf: Type.String({ format: 'date-time' }), stale: Type.Boolean() }),
    version: Type.Integer(),
    createdAt: Type.String({ format: 'date-time' }),
    updatedAt: Type.String({ format: 'date-time' }),
  },
  { title: 'Order' },
);

export const OrderList = Type.Object({
  data: Type.Array(OrderSchema),
  nextCursor: Type.Union([Type.String(), Type.Null()]),
});

export const IfMatchHeader = Type.String({ description: 'the ETag you last read, e.g. "3"' });
