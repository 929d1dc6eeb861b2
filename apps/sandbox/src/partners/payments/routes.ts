/** The payments partner's HTTP API: charges, lookups, the ledger and webhook endpoints. */
import type { FastifyInstance } from 'fastify';
import { partnerError } from '../../errors.ts';
import type { ChargeInput, Ledger } from './charges.ts';
import type { Endpoint, WebhookDeliverer } from './webhooks.ts';

export interface PaymentsRouteDeps {
  ledger: Ledger;
  deliverer: WebhookDeliverer;
  endpoints: { get(): Endpoint[]; set(next: Endpoint[]): void };
  processingMs: number;
}

function invalid(message: string, param: string) {
  return partnerError('invalid_request_error', 'parameter_invalid', message, param);
}

function validateCharge(body: unknown): { input: ChargeInput } | { error: ReturnType<typeof invalid> } {
  const b = (body ?? {}) as Record<string, unknown>;
  if (!Number.isInteger(b.amount) || (b.amount as number) <= 0)
    return { error: invalid('amount must be a positive integer (minor units)', 'amount') };
  if (typeof b.currency !== 'string' || !/^[A-Z]{3}$/.test(b.currency))
    return { error: invalid('currency must be an ISO 4217 code', 'currency') };
  if (typeof b.reference !== 'string' || b.reference.length < 1 || b.reference.length > 200)
    return { error: invalid('reference is required', 'reference') };
  if (b.description !== undefined && typeof b.description !== 'string')
    return { error: invalid('description must be a string', 'description') };
  return {
    input: {
      amount: b.amount as number,
      currency: b.currency,
      reference: b.reference,
      description: b.description as string | undefined,
    },
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function registerPaymentsRoutes(app: FastifyInstance, deps: PaymentsRouteDeps): void {
  app.post('/payments/v1/charges', async (request, reply) => {
    const checked = validateCharge(request.body);
    if ('error' in checked) return reply.code(400).send(checked.error);
    const key = request.headers['idempotency-key'];
    if (Array.isArray(key))
      return reply.code(400).send(invalid('send one Idempotency-Key', 'Idempotency-Key'));
    if (key !== undefined) {
      const existing = deps.ledger.beginKeyed(key, checked.input);
      if (existing?.kind === 'conflict') {
        return reply
          .code(422)
          .send(
            partnerError(
              'idempotency_error',
              'idempotency_key_reused',
              'Keys are for one request body only.',
            ),
          );
      }
      if (existing?.kind === 'in-flight') {
        return reply
          .code(409)
          .send(
            partnerError(
              'idempotency_error',
              'request_in_progress',
              'A request with this key is in progress.',
            ),
          );
      }
      if (existing?.kind === 'replayed')
        return reply.header('Idempotent-Replayed', 'true').send(existing.charge);
    }
    if (deps.processingMs > 0) await sleep(deps.processingMs);
    return reply.code(201).send(deps.ledger.finishKeyed(key, checked.input));
  });

  app.get<{ Params: { id: string } }>('/payments/v1/charges/:id', async (request, reply) => {
    const charge = deps.ledger.get(request.params.id);
    if (!charge)
      return reply
        .code(404)
        .send(
          partnerError(
            'invalid_request_error',
            'resource_missing',
            `No such charge: ${request.params.id}`,
            'id',
          ),
        );
    return charge;
  });

  app.get<{ Querystring: { reference?: string } }>('/payments/v1/charges', async (request, reply) => {
    if (!request.query.reference) return reply.code(400).send(invalid('reference is required', 'reference'));
    return { data: deps.ledger.byReference(request.query.reference) };
  });

  app.get('/payments/ledger', async () => ({ data: deps.ledger.all() }));

  app.put('/payments/_webhooks', async (request, reply) => {
    const endpoints = (request.body as { endpoints?: unknown })?.endpoints;
    const valid =
      Array.isArray(endpoints) &&
      endpoints.every(
        (e) =>
          typeof e?.url === 'string' &&
          /^https?:\/\//.test(e.url) &&
          typeof e?.secret === 'string' &&
          e.secret.startsWith('whsec_'),
      );
    if (!valid)
      return reply.code(400).send(invalid('endpoints must be [{ url, secret: "whsec_…" }]', 'endpoints'));
    deps.endpoints.set(endpoints as Endpoint[]);
    return { endpoints: deps.endpoints.get().map((e) => ({ url: e.url })) };
  });

  app.get('/payments/_webhooks', async () => ({
    endpoints: deps.endpoints.get().map((e) => ({ url: e.url })),
    deliveries: deps.deliverer.log(),
  }));
}
