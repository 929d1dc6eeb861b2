/**
 * The pricing partner as a PriceSource (critical, degradable): prices cached
 * per SKU and currency; on a partner failure a cached price up to maxStaleMs
 * old is used and the quote says `stale: true`; with no usable price the
 * failure surfaces (the route answers 503 and writes nothing). An unknown
 * SKU is never served from the cache.
 *
 * Under a burst: concurrent misses of one SKU share one load (the cache's
 * single-flight), and the misses asked for in one tick go to the partner as
 * one `POST /v1/prices:batch` per 100 SKUs. A bulkhead rejection (our own
 * queue full, or no slot before the deadline) is our capacity, not the
 * partner's failure: it answers `overloaded`, never `dependency-*`.
 */
import { createHash } from 'node:crypto';
import { ProblemError } from '@steadfast/toolkit/problems';
import {
  type BatchItem,
  type BatchResult,
  BulkheadRejectedError,
  batchLoader,
  type Clock,
  type DependencyClient,
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
  /** SKUs per batch request (default 100, the partner's maximum) */
  maxBatchSize?: number;
  /** counts prices served stale (steadfast_egress_stale_served_total) */
  staleServed?: { inc(labels: { dependency: string }): void };
}

interface Price {
  unitAmount: number;
  asOf: string;
}

interface Key {
  sku: string;
  currency: string;
  deadline: number;
  context: CallContext;
}

interface BatchBody {
  data?: { sku?: unknown; unitAmount?: unknown; currency?: unknown; asOf?: unknown; error?: unknown }[];
}

export function createPricingAdapter(options: PricingAdapterOptions): PriceSource & { cacheSize(): number } {
  const cache = staleIfError<string, Price>({
    freshMs: options.freshMs ?? 30_000,
    maxStaleMs: options.maxStaleMs ?? 600_000,
    clock: options.clock,
    serveStaleOn: (error) => !(error instanceof UnknownSkuError),
  });
  cache.onStaleServed(() => options.staleServed?.inc({ dependency: 'pricing' }));

  const batches = batchLoader<string, Price, Key>({
    maxBatchSize: options.maxBatchSize ?? 100,
    missing: () => new MalformedResponseError('pricing answered a batch without every SKU'),
    async load(items) {
      // keys of several currencies can meet in one tick: one request per currency, and a failed
      // one fails only its own keys
      const byCurrency = new Map<string, typeof items>();
      for (const item of items) {
        const group = byCurrency.get(item.context.currency) ?? [];
        if (!group.length) byCurrency.set(item.context.currency, group);
        group.push(item);
      }
      const answers = new Map<string, BatchResult<Price>>();
      await Promise.all(
        [...byCurrency].map(async ([currency, group]) => {
          try {
            for (const [key, answer] of await loadCurrency(currency, group)) answers.set(key, answer);
          } catch (error) {
            for (const item of group) answers.set(item.key, { error });
          }
        }),
      );
      return answers;
    },
  });

  /** one batch request for the SKUs of one currency */
  async function loadCurrency(currency: string, items: BatchItem<string, Key>[]) {
    // one request serves many callers: the latest deadline among them, and no
    // one caller's signal (its going away must not fail the others)
    const { context } = items[0].context;
    const deadline = Math.max(...items.map((i) => i.context.deadline));
    const skus = items.map((i) => i.context.sku);
    try {
      const { body } = await options.client.request<BatchBody>({
        method: 'POST',
        path: '/v1/prices:batch',
        route: '/v1/prices:batch',
        body: { currency, skus },
        // a read, but a POST: the key (from the content, never random) tells the partner
        // and any checker that a retry of it is the same request
        idempotencyKey: `prices:${createHash('sha256')
          .update(JSON.stringify([currency, skus]))
          .digest('hex')
          .slice(0, 32)}`,
        deadline,
        requestId: context.requestId,
        traceparent: context.traceparent,
      });
      const answers = new Map<string, BatchResult<Price>>();
      for (const item of Array.isArray(body?.data) ? body.data : []) {
        if (typeof item?.sku !== 'string') continue;
        answers.set(`${item.sku}:${currency}`, priceOf(item, item.sku, currency));
      }
      return answers;
    } catch (error) {
      if (error instanceof BulkheadRejectedError) throw overloaded(error);
      throw error;
    }
  }

  function priceOf(
    item: NonNullable<BatchBody['data']>[number],
    sku: string,
    currency: string,
  ): BatchResult<Price> {
    if (item.error !== undefined) return { error: new UnknownSkuError(sku) };
    if (!Number.isInteger(item.unitAmount) || (item.unitAmount as number) < 0 || item.currency !== currency) {
      return { error: new MalformedResponseError('pricing answered without a usable unitAmount') };
    }
    const asOf =
      typeof item.asOf === 'string' && !Number.isNaN(Date.parse(item.asOf))
        ? item.asOf
        : new Date(options.clock.now()).toISOString();
    return { value: { unitAmount: item.unitAmount as number, asOf } };
  }

  return {
    async quote(skus, currency, context = {}): Promise<PriceQuote> {
      const deadline = options.clock.now() + (options.deadlineMs ?? 1000);
      const results = await Promise.all(
        skus.map((sku) => {
          const key = `${sku}:${currency}`;
          return cache.get(key, () => batches.load(key, { sku, currency, deadline, context }));
        }),
      );
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

/** Our own bulkhead said no: we are at capacity — the partner is fine. */
function overloaded(error: BulkheadRejectedError): ProblemError {
  return new ProblemError('overloaded', {
    detail:
      error.reason === 'full'
        ? 'Too many price lookups are waiting; nothing was written. Retry shortly with the same Idempotency-Key.'
        : 'No capacity to look the prices up in time; nothing was written. Retry shortly with the same Idempotency-Key.',
    headers: { 'Retry-After': '1' },
    cause: error,
  });
}
