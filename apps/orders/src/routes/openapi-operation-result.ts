/**
 * The operation's `result`, typed per kind. The toolkit's Operation schema
 * leaves `result` open (any kind, any shape); this app has two kinds, and
 * each stores a known result:
 *
 * - `payment` (POST /v1/orders/{id}/pay, jobs/take-payment.ts,
 *   payments/settle.ts): `{ chargeId, chargeStatus: 'pending' }` while the
 *   partner's charge is pending, `{ orderId, chargeId }` once paid; none
 *   before the charge and none on failure (then `error` is the problem);
 * - `reconciliation` (POST /v1/reconciliations, worker.ts `reconcile-now`):
 *   the sweep's counts (payments/reconcile.ts SweepResult).
 *
 * So `Operation` becomes a union discriminated by `kind`.
 */
import { isNode, type Node, type OpenApiDocument, schemaRef } from './openapi-walk.ts';

const integer = (description: string) => ({ type: 'integer', minimum: 0, description });

export const OPERATION_RESULT_SCHEMAS: Readonly<Record<string, Node>> = {
  PaymentChargePending: {
    title: 'PaymentChargePending',
    type: 'object',
    description: 'The partner accepted the charge and has not settled it yet.',
    required: ['chargeId', 'chargeStatus'],
    properties: { chargeId: { type: 'string' }, chargeStatus: { type: 'string', const: 'pending' } },
  },
  PaymentSucceeded: {
    title: 'PaymentSucceeded',
    type: 'object',
    description: 'The order is paid.',
    required: ['orderId', 'chargeId'],
    properties: {
      orderId: { type: 'string' },
      chargeId: { type: ['string', 'null'], description: 'the partner’s charge' },
    },
  },
  ReconciliationResult: {
    title: 'ReconciliationResult',
    type: 'object',
    description: 'What one reconciliation sweep did.',
    required: ['checked', 'corrected', 'abandoned', 'mismatched'],
    properties: {
      checked: integer('open payments looked up at the partner'),
      corrected: integer('payments settled from what the partner reported'),
      abandoned: integer('payments the partner never heard of, failed'),
      mismatched: integer('payments whose partner charge is not the one asked for (held)'),
    },
  },
};

/** one kind of operation: the toolkit's Operation with `kind` fixed and `result` typed */
function kindSchema(base: Node, kind: string, name: string, result: Node): Node {
  const properties = isNode(base.properties) ? base.properties : {};
  return {
    ...base,
    title: name,
    properties: { ...properties, kind: { type: 'string', const: kind }, result },
  };
}

/**
 * Replaces `components.schemas.Operation` (as hoisted by withNamedSchemas)
 * with `oneOf` PaymentOperation | ReconciliationOperation, discriminated by
 * `kind`. A document without an Operation schema is left as it is.
 */
export function withTypedOperationResult<T extends OpenApiDocument>(document: T): T {
  const schemas = document.components?.schemas;
  const base = schemas?.Operation;
  if (!schemas || !base || 'oneOf' in base) return document;
  Object.assign(schemas, OPERATION_RESULT_SCHEMAS);
  schemas.PaymentOperation = kindSchema(base, 'payment', 'PaymentOperation', {
    description: 'while the charge is pending, or once paid; absent before the charge and on failure',
    oneOf: [schemaRef('PaymentChargePending'), schemaRef('PaymentSucceeded')],
  });
  schemas.ReconciliationOperation = kindSchema(base, 'reconciliation', 'ReconciliationOperation', {
    ...schemaRef('ReconciliationResult'),
    description: 'once the sweep has run',
  });
  schemas.Operation = {
    title: 'Operation',
    description:
      'Work that outlives its request (a payment, a reconciliation): poll it at /v1/operations/{id}, or wait with `Prefer: wait=N`.',
    oneOf: [schemaRef('PaymentOperation'), schemaRef('ReconciliationOperation')],
    discriminator: {
      propertyName: 'kind',
      mapping: {
        payment: '#/components/schemas/PaymentOperation',
        reconciliation: '#/components/schemas/ReconciliationOperation',
      },
    },
  };
  return document;
}
