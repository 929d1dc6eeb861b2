/**
 * The payments partner, only through the toolkit's resilient client (timeouts, breaker, budgeted retries).
 * The outbound Idempotency-Key comes from the booking, never from chance: every retry — the client's within
 * a call, the job's across attempts — is the same request, so a booking is charged at most once.
 */
import type { HttpMetrics, Logger } from '@steadfast/toolkit/observability';
import {
  createDependencyClient,
  createEgressMetrics,
  HttpStatusError,
  MalformedResponseError,
} from '@steadfast/toolkit/resilience';

export type Charge = { id: string; status: 'succeeded' | 'refunded' };
export const chargeKey = (bookingId: string) => `booking:${bookingId}:charge`;

function toCharge(body: Partial<Charge> | undefined): Charge {
  if (typeof body?.id !== 'string' || !['succeeded', 'refunded'].includes(body.status ?? ''))
    throw new MalformedResponseError('payments answered without a charge id and status');
  return body as Charge;
}

export function createPayments(options: { baseUrl: string; log: Logger; metrics: HttpMetrics }) {
  const client = createDependencyClient({
    name: 'payments',
    baseUrl: options.baseUrl,
    criticality: 'critical',
    log: options.log,
    metrics: createEgressMetrics(options.metrics.registry),
  });
  return {
    async charge(booking: { id: string; amount: number; currency: string }, signal?: AbortSignal) {
      const { body } = await client.request<Partial<Charge>>({
        method: 'POST',
        path: '/charges',
        route: '/charges',
        body: { amount: booking.amount, currency: booking.currency, reference: booking.id },
        idempotencyKey: chargeKey(booking.id),
        signal,
      });
      return toCharge(body);
    },
    /** The partner's view of a charge — the truth a webhook only hints at; undefined when it has none. */
    async getCharge(id: string): Promise<Charge | undefined> {
      const path = `/charges/${encodeURIComponent(id)}`;
      try {
        return toCharge(
          (await client.request<Partial<Charge>>({ method: 'GET', path, route: '/charges/{id}' })).body,
        );
      } catch (error) {
        if (error instanceof HttpStatusError && error.status === 404) return undefined;
        throw error;
      }
    },
    close: () => client.close(),
  };
}

export type Payments = ReturnType<typeof createPayments>;
