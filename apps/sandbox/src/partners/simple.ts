/** The messaging, pricing, analytics and recommendations partners: small, deterministic, in memory. */
import { createHash } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { invalidParameter } from '../errors.ts';
import { registerPricing } from './pricing.ts';

const SKU = /^[A-Z0-9][A-Z0-9-]{0,63}$/;

function hashInt(text: string): number {
  return createHash('sha256').update(text).digest().readUInt32BE(0);
}

export interface SimplePartnersState {
  messages: { id: string; to: string; template: string; data: unknown; key?: string; createdAt: string }[];
  events: unknown[];
  prices: Map<string, number>;
  unknownSkus: Set<string>;
  reset(): void;
}

export function createSimpleState(): SimplePartnersState {
  const state: SimplePartnersState = {
    messages: [],
    events: [],
    prices: new Map(),
    unknownSkus: new Set(),
    reset() {
      state.messages.length = 0;
      state.events.length = 0;
      state.prices.clear();
      state.unknownSkus.clear();
    },
  };
  return state;
}

export function registerSimplePartners(
  app: FastifyInstance,
  state: SimplePartnersState,
  now: () => Date,
  partner: 'messaging' | 'pricing' | 'analytics' | 'recommendations',
): void {
  if (partner === 'messaging') registerMessaging(app, state, now);
  if (partner === 'pricing') registerPricing(app, state, now);
  if (partner === 'analytics') registerAnalytics(app, state);
  if (partner === 'recommendations') registerRecommendations(app);
}

function registerMessaging(app: FastifyInstance, state: SimplePartnersState, now: () => Date): void {
  app.post('/messaging/v1/messages', async (request, reply) => {
    const body = (request.body ?? {}) as { to?: unknown; template?: unknown; data?: unknown };
    if (typeof body.to !== 'string' || typeof body.template !== 'string') {
      return invalidParameter(reply, 'to and template are required');
    }
    const key = request.headers['idempotency-key'] as string | undefined;
    const existing = key ? state.messages.find((m) => m.key === key) : undefined;
    if (existing)
      return reply.header('Idempotent-Replayed', 'true').send({ id: existing.id, status: 'queued' });
    const message = {
      id: `msg_${state.messages.length + 1}`,
      to: body.to,
      template: body.template,
      data: body.data ?? {},
      key,
      createdAt: now().toISOString(),
    };
    state.messages.push(message);
    return reply.code(202).send({ id: message.id, status: 'queued' });
  });
  app.get('/messaging/ledger', async () => ({ data: state.messages }));
}

function registerAnalytics(app: FastifyInstance, state: SimplePartnersState): void {
  app.post('/analytics/v1/events', async (request, reply) => {
    const events = (request.body as { events?: unknown })?.events;
    if (!Array.isArray(events) || events.length > 1000) {
      return invalidParameter(reply, 'events must be an array of at most 1000', 'events');
    }
    state.events.push(...events);
    return reply.code(202).send({ accepted: events.length });
  });
  app.get('/analytics/ledger', async () => ({ data: state.events }));
}

function registerRecommendations(app: FastifyInstance): void {
  app.get<{ Querystring: { sku?: string } }>(
    '/recommendations/v1/recommendations',
    async (request, reply) => {
      const sku = request.query.sku;
      if (!sku || !SKU.test(sku)) return invalidParameter(reply, 'sku is required', 'sku');
      const items = [1, 2, 3].map((n) => ({
        sku: `REC-${(hashInt(`${sku}:${n}`) % 900) + 100}`,
        score: Math.round((1 - n * 0.2) * 100) / 100,
      }));
      return { items };
    },
  );
}
