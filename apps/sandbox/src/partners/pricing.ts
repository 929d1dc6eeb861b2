/**
 * The pricing partner: deterministic prices from SKU and currency, settable
 * per SKU, and a batch lookup (`POST /pricing/v1/prices:batch`, up to 100
 * SKUs, unknown ones reported per item). Chaos applies to every route here
 * (the partner scope's hooks), so a batch fails the way a single lookup does.
 */
import { createHash } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { invalidParameter, partnerError } from '../errors.ts';

const SKU = /^[A-Z0-9][A-Z0-9-]{0,63}$/;
const CURRENCY = /^[A-Z]{3}$/;
export const MAX_BATCH_SKUS = 100;

export function unitPrice(sku: string, currency: string): number {
  return 100 + (createHash('sha256').update(`${sku}:${currency}`).digest().readUInt32BE(0) % 99_900);
}

export interface PricingState {
  prices: Map<string, number>;
  unknownSkus: Set<string>;
}

export function registerPricing(app: FastifyInstance, state: PricingState, now: () => Date): void {
  const price = (sku: string, currency: string) => ({
    sku,
    unitAmount: state.prices.get(`${sku}:${currency}`) ?? unitPrice(sku, currency),
    currency,
    asOf: now().toISOString(),
  });
  const known = (sku: string) => SKU.test(sku) && !state.unknownSkus.has(sku);
  const unknown = (sku: string) =>
    partnerError('invalid_request_error', 'sku_unknown', `Unknown SKU ${sku}`, 'sku');

  app.get<{ Params: { sku: string }; Querystring: { currency?: string } }>(
    '/pricing/v1/prices/:sku',
    async (request, reply) => {
      const { sku } = request.params;
      const currency = request.query.currency ?? 'EUR';
      if (!CURRENCY.test(currency))
        return invalidParameter(reply, 'currency must be three upper-case letters', 'currency');
      if (!known(sku)) return reply.code(404).send(unknown(sku));
      return price(sku, currency);
    },
  );
  // `::` is a literal colon in a Fastify path: the route is /pricing/v1/prices:batch
  app.post('/pricing/v1/prices::batch', async (request, reply) => {
    const body = (request.body ?? {}) as { currency?: unknown; skus?: unknown };
    const currency = body.currency ?? 'EUR';
    if (typeof currency !== 'string' || !CURRENCY.test(currency))
      return invalidParameter(reply, 'currency must be three upper-case letters', 'currency');
    const skus = body.skus;
    if (
      !Array.isArray(skus) ||
      skus.length === 0 ||
      skus.length > MAX_BATCH_SKUS ||
      !skus.every((s) => typeof s === 'string')
    ) {
      return invalidParameter(reply, `skus must be 1 to ${MAX_BATCH_SKUS} strings`, 'skus');
    }
    return {
      currency,
      data: [...new Set(skus as string[])].map((sku) =>
        known(sku) ? price(sku, currency) : { sku, ...unknown(sku) },
      ),
    };
  });
  app.put<{ Params: { sku: string } }>('/pricing/v1/prices/:sku', async (request, reply) => {
    const body = (request.body ?? {}) as { unitAmount?: unknown; currency?: unknown };
    const currency = typeof body.currency === 'string' ? body.currency : 'EUR';
    if (
      !SKU.test(request.params.sku) ||
      !Number.isInteger(body.unitAmount) ||
      (body.unitAmount as number) < 0 ||
      !CURRENCY.test(currency)
    ) {
      return invalidParameter(reply, 'need a valid SKU, integer unitAmount and currency');
    }
    state.unknownSkus.delete(request.params.sku);
    state.prices.set(`${request.params.sku}:${currency}`, body.unitAmount as number);
    return { sku: request.params.sku, unitAmount: body.unitAmount, currency, asOf: now().toISOString() };
  });
  app.delete<{ Params: { sku: string } }>('/pricing/v1/prices/:sku', async (request, reply) => {
    state.unknownSkus.add(request.params.sku);
    return reply.code(204).send();
  });
}
