/**
 * Where unit prices come from. A PriceSource quotes every SKU of an order in
 * the order's currency. This module ships a deterministic local price list;
 * the pricing partner's adapter implements the same interface.
 */
import { createHash } from 'node:crypto';

export interface PriceQuote {
  unitAmounts: Map<string, number>;
  /** when the prices were current (RFC 3339) */
  asOf: string;
  /** true when a cached price older than the source's freshness was used */
  stale: boolean;
}

/** Who is asking: forwarded to partners for tracing. */
export interface CallContext {
  requestId?: string;
  traceparent?: string;
  signal?: AbortSignal;
}

export interface PriceSource {
  /** throws UnknownSkuError for a SKU the source does not know */
  quote(skus: string[], currency: string, context?: CallContext): Promise<PriceQuote>;
}

export class UnknownSkuError extends Error {
  override name = 'UnknownSkuError';
  readonly sku: string;
  constructor(sku: string) {
    super(`unknown SKU ${sku}`);
    this.sku = sku;
  }
}

/** Unit amount in minor units from 100 to 99,999, derived from the SKU alone. */
export function localUnitAmount(sku: string): number {
  const n = createHash('sha256').update(sku).digest().readUInt32BE(0);
  return 100 + (n % 99_900);
}

export function createLocalPriceList(clock: { now(): number }): PriceSource {
  return {
    async quote(skus) {
      return {
        unitAmounts: new Map(skus.map((sku) => [sku, localUnitAmount(sku)])),
        asOf: new Date(clock.now()).toISOString(),
        stale: false,
      };
    },
  };
}
