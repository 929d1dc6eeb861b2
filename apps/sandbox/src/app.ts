/**
 * buildSandbox(): five simulated partners on one Fastify app — payments,
 * messaging, pricing, analytics, recommendations — each with its own chaos.
 * State is in memory. It shares nothing with the Orders API except HTTP.
 */
import { createHash } from 'node:crypto';
import Fastify, { type FastifyInstance } from 'fastify';
import { type ChaosState, createChaosState } from './chaos/chaos-state.ts';
import { createHeldSockets, installChaos } from './chaos/inject.ts';
import { registerChaosRoutes } from './chaos/routes.ts';
import { partnerError } from './errors.ts';
import { createLedger } from './partners/payments/charges.ts';
import { registerPaymentsRoutes } from './partners/payments/routes.ts';
import {
  createWebhookDeliverer,
  DEFAULT_RETRY,
  type Endpoint,
  type RetryPolicy,
} from './partners/payments/webhooks.ts';
import { createSimpleState, registerSimplePartners } from './partners/simple.ts';

export const PARTNERS = ['payments', 'messaging', 'pricing', 'analytics', 'recommendations'] as const;
export type Partner = (typeof PARTNERS)[number];

export interface SandboxOptions {
  /** webhook endpoints registered at start (kept across `POST /_reset`) */
  webhookEndpoints?: Endpoint[];
  webhookRetry?: Partial<RetryPolicy>;
  /** how long creating a charge takes (so concurrent same-key requests overlap); default 20 ms */
  chargeProcessingMs?: number;
  now?: () => Date;
  logger?: boolean;
}

export interface Sandbox {
  server: FastifyInstance;
  chaos: Record<Partner, ChaosState>;
  reset(): void;
  close(): Promise<void>;
}

export async function buildSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const now = options.now ?? (() => new Date());
  const server = Fastify({ logger: options.logger ?? false, forceCloseConnections: true });
  const chaos = Object.fromEntries(PARTNERS.map((p) => [p, createChaosState()])) as Record<
    Partner,
    ChaosState
  >;
  const held = createHeldSockets();
  const timers = new Set<NodeJS.Timeout>();
  let endpoints: Endpoint[] = [...(options.webhookEndpoints ?? [])];
  let eventSequence = 0;

  const deliverer = createWebhookDeliverer({
    endpoints: () => endpoints,
    chaos: () => chaos.payments.config().webhooks,
    random: () => chaos.payments.eventRandom(),
    retry: { ...DEFAULT_RETRY, ...options.webhookRetry },
    now,
  });
  const ledger = createLedger({
    now,
    random: () => chaos.payments.eventRandom(),
    settlement: () => chaos.payments.config().settlement,
    schedule: (fn, ms) => {
      const timer = setTimeout(() => {
        timers.delete(timer);
        fn();
      }, ms);
      timers.add(timer);
    },
    onEvent: (type, charge) => {
      eventSequence++;
      const id = `evt_${String(eventSequence).padStart(6, '0')}${createHash('sha256').update(`${charge.id}:${eventSequence}`).digest('hex').slice(0, 8)}`;
      deliverer.emit({ id, type, createdAt: now().toISOString(), data: { charge } });
    },
  });
  const simple = createSimpleState();

  server.setErrorHandler((error: { statusCode?: number; message: string }, _request, reply) => {
    const status = error.statusCode && error.statusCode < 500 ? error.statusCode : 500;
    return reply
      .code(status)
      .send(
        partnerError(status < 500 ? 'invalid_request_error' : 'api_error', 'request_failed', error.message),
      );
  });
  server.setNotFoundHandler((request, reply) =>
    reply
      .code(404)
      .send(partnerError('invalid_request_error', 'not_found', `No route ${request.method} ${request.url}`)),
  );

  for (const partner of PARTNERS) {
    await server.register(async (scope) => {
      installChaos(scope, chaos[partner], held);
      registerChaosRoutes(scope, partner, chaos[partner]);
      if (partner === 'payments') {
        registerPaymentsRoutes(scope, {
          ledger,
          deliverer,
          endpoints: { get: () => endpoints, set: (next) => (endpoints = next) },
          processingMs: options.chargeProcessingMs ?? 20,
        });
      } else {
        registerSimplePartners(scope, simple, now, partner);
      }
    });
  }

  const reset = () => {
    for (const state of Object.values(chaos)) state.clear();
    ledger.reset();
    deliverer.reset();
    simple.reset();
    for (const t of timers) clearTimeout(t);
    timers.clear();
    endpoints = [...(options.webhookEndpoints ?? [])];
    eventSequence = 0;
  };
  server.post('/_reset', async (_request, reply) => {
    reset();
    return reply.code(204).send();
  });

  await server.ready();
  return {
    server,
    chaos,
    reset,
    async close() {
      reset();
      held.destroyAll();
      await server.close();
    },
  };
}
