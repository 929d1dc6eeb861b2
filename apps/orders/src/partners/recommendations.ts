/**
 * Recommendations (non-critical): a short timeout (150 ms), no retries; any
 * failure answers an empty list marked degraded — never an error.
 */
import type { DependencyClient } from '@steadfast/toolkit/resilience';
import type { CallContext } from '../domain/pricing.ts';

export interface Recommendations {
  items: { sku: string; score: number }[];
  degraded: boolean;
}

export function createRecommendationsAdapter(client: DependencyClient | undefined) {
  return {
    async forSku(sku: string, context: CallContext = {}): Promise<Recommendations> {
      if (!client) return { items: [], degraded: true };
      try {
        const { body } = await client.request<{ items?: unknown }>({
          method: 'GET',
          path: '/v1/recommendations',
          route: '/v1/recommendations',
          query: { sku },
          requestId: context.requestId,
          traceparent: context.traceparent,
        });
        const items = Array.isArray(body?.items)
          ? body.items.filter(
              (i): i is { sku: string; score: number } =>
                typeof i?.sku === 'string' && typeof i?.score === 'number',
            )
          : [];
        return {
          items: items.map(({ sku: s, score }) => ({ sku: s, score })),
          degraded: !Array.isArray(body?.items),
        };
      } catch {
        return { items: [], degraded: true };
      }
    },
  };
}

export type RecommendationsAdapter = ReturnType<typeof createRecommendationsAdapter>;
