/**
 * The pricing partner as a PriceSource (critical, degradable): prices cached
 * per SKU and currency; on a partner failure a cached price up to maxStaleMs
 * old is used and the quote says `stale: true`; with no usable price the
 * failure surfaces (the route answers 503 and writes nothing). A 404 means
 * the SKU is unknown — never served from the cache.
 */
import {
  type Clock,
  type DependencyClient,
  HttpStatusError,
  MalformedResponseError,
  staleIfError,
} from '@steadfast/toolkit/resilience';
import { type CallContext, type PriceQuote, type PriceSource, UnknownSkuError } from '../domain/pricing.ts';

export interface PricingAdapterOptions {
  client: DependencyClient;
  clock: Clock;
  /** a cached price younger than this is used without asking (default 30 s) */
  freshMs?: number;
  /** how old a price may be when served because the partner fails (default 10 min) */
  maxStaleMs?: number;
  /** time budget of one quote, all retries included (default 1 s) */
  deadlineMs?: number;
  /** counts prices served stale (steadfast_egress_stale_served_total) */
  staleServed?: { inc(labels: { dependency: string }): void };
}

interface Price {
  unitAmount: number;
  asOf: string;
}

export function createPricingAdapter(options: PricingAdapterOptions): PriceSource & { cacheSize(): number } {
  const cache = staleIfError<string, Price>({
    freshMs: options.freshMs ?? 30_000,
    maxStaleMs: options.maxStaleMs ?? 600_000,
    clock: options.clock,
    serveStaleOn: (error) => !(error instanceof UnknownSkuError),
  });
  cache.onStaleServed(() => options.staleServed?.inc({ dependency: 'pricing' }));

  async function load(sku: string, currency: string, deadline: number, context: CallContext): Promise<Price> {
    try {
      const { body } = await options.client.request<{
        sku?: unknown;
        unitAmount?: unknown;
        currency?: unknown;
        asOf?: unknown;
      }>({
        method: 'GET',
        path: `/v1/prices/${encodeURIComponent(sku)}`,
        route: '/v1/prices/{sku}',
        query: { currency },
        deadline,
        signal: context.signal,
        requestId: context.requestId,
        traceparent: context.traceparent,
      });
      if (
        !Number.isInteger(body?.unitAmount) ||
        (body.unitAmount as number) < 0 ||
        body.currency !== currency
      ) {
        throw new MalformedResponseError('pricing answered without a usable unitAmount');
      }
      const asOf =
        typeof body.asOf === 'string' && !Number.isNaN(Date.parse(body.asOf))
          ? body.asOf
          : new Date(options.clock.now()).toISOString();
      return { unitAmount: body.unitAmount as number, asOf };
    } catch (error) {
      if (error instanceof HttpStatusError && error.status === 404) throw new UnknownSkuError(sku);
      throw error;
    }
  }

  return {
    async quote(skus, currency, context = {}): Promise<PriceQuote> {
      const deadline = options.clock.now() + (options.deadlineMs ?? 1000);
      // at most 8 price requests at a time per quote: a 100-item order must not flood the partner
      const results: Awaited<ReturnType<typeof cache.get>>[] = [];
      for (let i = 0; i < skus.length; i += 8) {
        const slice = skus.slice(i, i + 8);
        results.push(
          ...(await Promise.all(
            slice.map((sku) => cache.get(`${sku}:${currency}`, () => load(sku, currency, deadline, context))),
          )),
        );
      }
      const unitAmounts = new Map<string, number>();
      let oldest = Infinity;
      let asOf = new Date(options.clock.now()).toISOString();
      skus.forEach((sku, i) => {
        unitAmounts.set(sku, results[i].value.unitAmount);
        const at = Date.parse(results[i].value.asOf);
        if (at < oldest) {
          oldest = at;
          asOf = results[i].value.asOf;
        }
      });
      return { unitAmounts, asOf, stale: results.some((r) => r.stale) };
    },
    cacheSize: () => cache.size(),
  };
}
