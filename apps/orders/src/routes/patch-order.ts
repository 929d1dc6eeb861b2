/**
 * PATCH /v1/orders/{id}: JSON merge patch of a draft's items, currency,
 * customer and metadata. If-Match is required (428 without, 412 stale);
 * the update is conditional on the version read, so concurrent PATCHes with
 * the same ETag cannot both win.
 */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { requireTenant } from '@steadfast/toolkit/auth';
import {
  ifMatchAllows,
  parseIfMatch,
  preconditionFailed,
  preconditionRequired,
} from '@steadfast/toolkit/concurrency';
import { ProblemError, problemResponses } from '@steadfast/toolkit/problems';
import type { FastifyInstance } from 'fastify';
import { mergeCustomer, mergeMetadata, type Order, priceItems } from '../domain/order.ts';
import type { CallContext } from '../domain/pricing.ts';
import { findOrder, type OrderChanges, updateDraft } from '../store/orders-store.ts';
import { type OrderRouteDeps, quoteOrProblem, sendOrder } from './deps.ts';
import { orderNotFound } from './read-orders.ts';
import { IfMatchHeader, MAX_METADATA_KEYS, OrderParams, OrderSchema, PatchOrderBody } from './schemas.ts';

function notEditable(order: Order): ProblemError {
  return new ProblemError('order-not-editable', {
    detail: `Order ${order.id} is ${order.status}; only drafts can be edited.`,
    extensions: { currentStatus: order.status },
  });
}

async function applyPatch(deps: OrderRouteDeps, order: Order, patch: PatchOrderBody, context: CallContext) {
  const currency = patch.currency ?? order.currency;
  const itemInputs = patch.items ?? order.items.map(({ sku, quantity }) => ({ sku, quantity }));
  let priced = { items: order.items, totalAmount: order.totalAmount };
  let pricing = order.pricing;
  if (patch.items !== undefined || currency !== order.currency) {
    const quote = await quoteOrProblem(deps, itemInputs, currency, context);
    priced = priceItems(itemInputs, quote);
    pricing = { asOf: quote.asOf, stale: quote.stale };
  }
  const metadata = patch.metadata ? mergeMetadata(order.metadata, patch.metadata) : order.metadata;
  if (Object.keys(metadata).length > MAX_METADATA_KEYS) {
    throw new ProblemError('validation-failed', {
      detail: `metadata would have more than ${MAX_METADATA_KEYS} keys after the merge.`,
      errors: [{ pointer: '/metadata', message: `must have at most ${MAX_METADATA_KEYS} keys`, in: 'body' }],
    });
  }
  const changes: OrderChanges = {
    currency,
    items: priced.items,
    totalAmount: priced.totalAmount,
    customer: patch.customer === undefined ? order.customer : mergeCustomer(order.customer, patch.customer),
    metadata,
    pricing,
  };
  return changes;
}

export function registerPatchOrder(app: FastifyInstance, deps: OrderRouteDeps): void {
  app.withTypeProvider<TypeBoxTypeProvider>().patch(
    '/v1/orders/:id',
    {
      schema: {
        summary: 'Edit a draft order (JSON merge patch)',
        tags: ['orders'],
        params: OrderParams,
        headers: { type: 'object', properties: { 'if-match': IfMatchHeader }, required: ['if-match'] },
        body: PatchOrderBody,
        response: { 200: OrderSchema, ...problemResponses(400, 401, 404, 409, 412, 413, 415, 422, 428, 504) },
      },
      // runs before schema validation, so a missing If-Match is a 428, not a 400
      preValidation: async (request) => {
        if (request.headers['if-match'] === undefined) throw preconditionRequired();
        parseIfMatch(request.headers['if-match']);
      },
    },
    async (request, reply) => {
      const { tenantId } = requireTenant(request);
      const ifMatch = parseIfMatch(request.headers['if-match']);
      const order = await findOrder(deps.db, tenantId, request.params.id);
      if (!order) throw orderNotFound(request.params.id);
      if (!ifMatchAllows(ifMatch, order.version)) throw preconditionFailed(order.version);
      if (order.status !== 'draft') throw notEditable(order);
      const changes = await applyPatch(deps, order, request.body, {
        requestId: String(request.id),
        traceparent: request.trace?.header,
      });
      const now = new Date(deps.clock.now()).toISOString();
      const updated = await updateDraft(deps.db, tenantId, order.id, order.version, changes, now);
      if (updated) return sendOrder(reply, updated);
      // someone else changed it between our read and our write
      const current = await findOrder(deps.db, tenantId, order.id);
      if (!current) throw orderNotFound(order.id);
      if (current.status !== 'draft') throw notEditable(current);
      throw preconditionFailed(current.version);
    },
  );
}
