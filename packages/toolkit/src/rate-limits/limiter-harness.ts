/**
 * Shared set-up for the limiter and plugin edge tests: a limiter on a fake
 * clock, optionally attached to a hand-driven store (the test plays the sync:
 * `client.snapshot()`, `client.apply(...)`, `client.applyLocally(...)`), and
 * a metrics stand-in that records every `held.set` and `limited.inc` call,
 * and a Fastify app limited by the plugin (class `writes`, 2 per 60 s, the
 * partition from `x-tenant`; `/health` is not limited).
 */
import Fastify, { type FastifyInstance } from 'fastify';
import { coreProblems, createProblemRegistry, problems } from '../problems/index.ts';
import type { FakeClock } from '../testing/index.ts';
import { createFakeClock } from '../testing/index.ts';
import { createRateLimiter, type RateLimiter, type RateLimiterOptions } from './limiter.ts';
import type { RateLimitMetrics } from './metrics.ts';
import { type RateLimitsPluginOptions, rateLimits } from './plugin.ts';
import { rateLimitProblems } from './problems.ts';
import type { CellSyncResult, RateLimitStore, RateLimitStoreClient } from './store.ts';

/** A whole second (and a whole minute): windows are aligned to the epoch. */
export const WINDOW_START = Date.UTC(2026, 0, 1);

export interface HandStore {
  store: RateLimitStore;
  /** the limiter's side, once attached */
  client(): RateLimitStoreClient;
  readonly calls: string[];
}

export function handStore(): HandStore {
  let attached: RateLimitStoreClient | undefined;
  const calls: string[] = [];
  return {
    store: {
      attach: (c) => {
        attached = c;
      },
      start: async () => {
        calls.push('start');
      },
      close: async () => {
        calls.push('close');
      },
    },
    client: () => {
      if (!attached) throw new Error('the store was never attached');
      return attached;
    },
    calls,
  };
}

export interface Setup {
  clock: FakeClock;
  limiter: RateLimiter;
}

/** One class, `writes`, of `limit` per `windowS`; clock at WINDOW_START. */
export function limiterOf(limit: number, windowS: number, extra: Partial<RateLimiterOptions> = {}): Setup {
  const clock = createFakeClock(WINDOW_START);
  const limiter = createRateLimiter({ policies: { writes: { limit, windowS } }, clock, ...extra });
  return { clock, limiter };
}

export interface StoreSetup extends Setup {
  hand: HandStore;
  client: RateLimitStoreClient;
}

export function limiterWithStore(
  limit: number,
  windowS: number,
  extra: Partial<RateLimiterOptions> = {},
): StoreSetup {
  const hand = handStore();
  const setup = limiterOf(limit, windowS, { store: hand.store, ...extra });
  return { ...setup, hand, client: hand.client() };
}

/** Offers `n` one-unit requests; how many were admitted. */
export function takeN(limiter: RateLimiter, n: number, partition = 't1', className = 'writes'): number {
  let admitted = 0;
  for (let i = 0; i < n; i++) if (limiter.take(partition, className).allowed) admitted++;
  return admitted;
}

/** One sync answer per snapshot cell. */
export const answer = (
  activeInstances: number,
  ...cells: CellSyncResult[]
): { activeInstances: number; cells: CellSyncResult[] } => ({ activeInstances, cells });

export interface MetricsRecorder {
  metrics: RateLimitMetrics;
  /** every value `held.set` was called with, in order */
  held: number[];
  /** every label set `limited.inc` was called with */
  limited: Record<string, string>[];
  /** resolves at the next `held.set` call */
  nextHeld(): Promise<number>;
}

export function recordMetrics(): MetricsRecorder {
  const held: number[] = [];
  const limited: Record<string, string>[] = [];
  let waiting: ((n: number) => void) | undefined;
  const metrics = {
    limited: { inc: (labels: Record<string, string>) => limited.push(labels) },
    held: {
      set: (n: number) => {
        held.push(n);
        const w = waiting;
        waiting = undefined;
        w?.(n);
      },
    },
  } as unknown as RateLimitMetrics;
  return {
    metrics,
    held,
    limited,
    nextHeld: () =>
      new Promise((resolve) => {
        waiting = resolve;
      }),
  };
}

export interface LimitedApp extends Setup {
  app: FastifyInstance;
  /** the URLs partitionOf was asked about */
  partitionAsked: string[];
}

/** Ready; `GET /notes`, `POST /replays` (refunds twice), `GET /health` (no class). */
export async function limitedApp(
  options: Partial<RateLimitsPluginOptions> = {},
  configure: (app: FastifyInstance) => void = () => {},
): Promise<LimitedApp> {
  const setup = limiterOf(2, 60);
  const partitionAsked: string[] = [];
  const app = Fastify();
  await app.register(problems, { registry: createProblemRegistry(coreProblems, rateLimitProblems) });
  await app.register(rateLimits, {
    limiter: setup.limiter,
    classOf: (request) => (request.url.startsWith('/health') ? undefined : 'writes'),
    partitionOf: (request) => {
      partitionAsked.push(request.url);
      return request.headers['x-tenant'] as string | undefined;
    },
    ...options,
  });
  app.get('/notes', async () => ({ ok: true }));
  app.post('/replays', async (request) => {
    request.rateLimit?.refund();
    request.rateLimit?.refund();
    return { replayed: true };
  });
  app.get('/health', async (request) => ({ rateLimit: request.rateLimit ?? null }));
  configure(app);
  await app.ready();
  return { ...setup, app, partitionAsked };
}

/** `GET /notes` as tenant `acme` (or another). */
export const getNotes = (app: FastifyInstance, tenant = 'acme') =>
  app.inject({ method: 'GET', url: '/notes', headers: { 'x-tenant': tenant } });
