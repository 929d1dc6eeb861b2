/**
 * Every partner behind its adapter, with the criticality declared per
 * dependency (visible in /v1/dependencies, metrics and docs/degradation.md).
 */

import type { Logger, Tracer } from '@steadfast/toolkit/observability';
import {
  type Clock,
  createDependencyClient,
  createEgressMetrics,
  type DependencyClient,
} from '@steadfast/toolkit/resilience';
import type { Registry } from 'prom-client';
import type { PriceSource } from '../domain/pricing.ts';
import { type AnalyticsBuffer, createAnalyticsBuffer } from './analytics.ts';
import { createMessagingAdapter } from './messaging.ts';
import { createPaymentsAdapter, type PaymentsAdapter } from './payments.ts';
import { createPricingAdapter } from './pricing.ts';
import { createRecommendationsAdapter, type RecommendationsAdapter } from './recommendations.ts';

export interface PartnerUrls {
  paymentsUrl: string;
  messagingUrl: string;
  pricingUrl: string;
  analyticsUrl: string;
  recommendationsUrl: string;
}

export interface Partners {
  prices: PriceSource;
  payments: PaymentsAdapter;
  messaging: ReturnType<typeof createMessagingAdapter>;
  recommendations: RecommendationsAdapter;
  analytics: AnalyticsBuffer;
  clients: DependencyClient[];
  close(): Promise<void>;
}

export interface PartnerTuning {
  pricing?: { freshMs?: number; maxStaleMs?: number; attemptTimeoutMs?: number; deadlineMs?: number };
  recommendationsTimeoutMs?: number;
}

export function createPartners(
  urls: PartnerUrls,
  deps: {
    log: Logger;
    registry: Registry;
    clock: Clock;
    random?: () => number;
    tracer?: Tracer;
    /** a price served stale (the console's history counts it) */
    onStaleServed?: (dependency: string) => void;
  },
  tuning: PartnerTuning = {},
): Partners {
  const metrics = createEgressMetrics(deps.registry);
  const common = { log: deps.log, metrics, clock: deps.clock, random: deps.random, tracer: deps.tracer };
  const pricing = createDependencyClient({
    ...common,
    name: 'pricing',
    criticality: 'degradable',
    baseUrl: urls.pricingUrl,
    attemptTimeoutMs: tuning.pricing?.attemptTimeoutMs ?? 300,
    // five attempts and half the requests' worth of retries mask a 30% error rate;
    // in an outage the breaker, not the budget, cuts the load
    maxAttempts: 5,
    budget: { ratio: 0.5, minRetriesPerSecond: 1 },
    bulkhead: { maxConcurrent: 64, maxQueue: 2000 },
  });
  const payments = createDependencyClient({
    ...common,
    name: 'payments',
    criticality: 'critical',
    baseUrl: urls.paymentsUrl,
    attemptTimeoutMs: 2000,
    maxAttempts: 1, // the adapter retries itself, looking the charge up first
  });
  const messaging = createDependencyClient({
    ...common,
    name: 'messaging',
    criticality: 'deferred',
    baseUrl: urls.messagingUrl,
    attemptTimeoutMs: 2000,
  });
  const recommendations = createDependencyClient({
    ...common,
    name: 'recommendations',
    criticality: 'non-critical',
    baseUrl: urls.recommendationsUrl,
    attemptTimeoutMs: tuning.recommendationsTimeoutMs ?? 150,
    maxAttempts: 1,
  });
  const analytics = createDependencyClient({
    ...common,
    name: 'analytics',
    criticality: 'non-critical',
    baseUrl: urls.analyticsUrl,
    attemptTimeoutMs: 500,
    maxAttempts: 1,
  });
  const analyticsBuffer = createAnalyticsBuffer({ client: analytics, registry: deps.registry });
  const clients = [pricing, payments, messaging, recommendations, analytics];
  return {
    prices: createPricingAdapter({
      client: pricing,
      clock: deps.clock,
      staleServed: {
        inc(labels) {
          metrics.staleServed.inc(labels);
          deps.onStaleServed?.(labels.dependency);
        },
      },
      ...tuning.pricing,
    }),
    payments: createPaymentsAdapter({ client: payments, clock: deps.clock }),
    messaging: createMessagingAdapter(messaging),
    recommendations: createRecommendationsAdapter(recommendations),
    analytics: analyticsBuffer,
    clients,
    async close() {
      analyticsBuffer.stop();
      await Promise.all(clients.map((c) => c.close()));
    },
  };
}
