/**
 * The payments partner (critical). One charge per business key: the outbound
 * Idempotency-Key is `pay:<orderId>:<n>` (n counts pay requests on the order),
 * never random. Within the caller's deadline: one call plus at most two quick
 * retries; after an unknown outcome (timeout, reset, garbled answer) the charge
 * is looked up by reference before charging again. The partner's error shape
 * is translated: a decline is an answer, an outage is an error, and a 4xx
 * refusal of the request itself (not a decline, not an idempotency race) is a
 * `PaymentRejectedError` carrying the partner's status and code.
 */
import {
  type Clock,
  type DependencyClient,
  HttpStatusError,
  MalformedResponseError,
  NetworkError,
  TimeoutError,
  UnknownOutcomeError,
} from '@steadfast/toolkit/resilience';
import type { CallContext } from '../domain/pricing.ts';

export interface ChargeRequest {
  orderId: string;
  /** the pay request number on this order: 1, 2, ... */
  n: number;
  amount: number;
  currency: string;
  description?: string;
}

/** The partner's record of a charge: what it says happened, and what was charged (verified before acting). */
export interface ChargeOutcome {
  chargeId: string;
  status: 'succeeded' | 'failed' | 'pending';
  failureCode?: string;
  /** minor units, as the partner recorded them */
  amount: number;
  /** ISO 4217 code, as the partner recorded it */
  currency: string;
  /** the reference the charge carries (ours are `pay:<orderId>:<n>`) */
  reference: string;
}

/**
 * The partner refused the request itself (a 4xx answer to the charge, not a
 * card decline): nothing was charged and retrying the same request cannot help.
 */
export class PaymentRejectedError extends Error {
  override name = 'PaymentRejectedError';
  /** the partner's HTTP status, e.g. 400 */
  readonly partnerStatus: number;
  /** the partner's error code (`error.code` of its body, e.g. `parameter_invalid`), null when it sent none */
  readonly partnerCode: string | null;
  constructor(partnerStatus: number, partnerCode: string | null) {
    super(`payments refused the charge (${partnerStatus}${partnerCode ? ` ${partnerCode}` : ''})`);
    this.partnerStatus = partnerStatus;
    this.partnerCode = partnerCode;
  }
}

/** The partner's error code from its `{ error: { code } }` body, if it sent one. */
function partnerCode(body: unknown): string | null {
  const code = (body as { error?: { code?: unknown } } | undefined)?.error?.code;
  return typeof code === 'string' && code.length <= 100 ? code : null;
}

/** Answers that mean "this request is refused", as opposed to "try again" (5xx, 429, an idempotency race). */
function rejection(error: unknown): PaymentRejectedError | undefined {
  if (!(error instanceof HttpStatusError) || error.status < 400 || error.status >= 500) return undefined;
  if (error.status === 429) return undefined; // back-pressure
  const code = partnerCode(error.body);
  // the same key is still being processed by an earlier request of ours: retry with that key
  if (error.status === 409 && (code === 'request_in_progress' || code === 'idempotency_key_in_use'))
    return undefined;
  return new PaymentRejectedError(error.status, code);
}

export function paymentKey(orderId: string, n: number): string {
  return `pay:${orderId}:${n}`;
}

interface PartnerCharge {
  id?: unknown;
  status?: unknown;
  failureCode?: unknown;
  amount?: unknown;
  currency?: unknown;
  reference?: unknown;
}

/** What is wrong with a partner's charge record, or undefined when it has every field we act on. */
function malformation(charge: PartnerCharge | undefined): string | undefined {
  if (typeof charge !== 'object' || charge === null || Array.isArray(charge)) return 'no charge object';
  if (typeof charge.id !== 'string' || charge.id.length === 0 || charge.id.length > 200)
    return 'no charge id';
  if (!['succeeded', 'failed', 'pending'].includes(charge.status as string)) return 'no known status';
  if (!Number.isSafeInteger(charge.amount) || (charge.amount as number) < 0)
    return 'amount is not a non-negative integer';
  if (typeof charge.currency !== 'string' || !/^[A-Z]{3}$/.test(charge.currency))
    return 'currency is not a 3-letter code';
  if (typeof charge.reference !== 'string' || charge.reference.length === 0 || charge.reference.length > 200)
    return 'reference is missing';
  if (charge.failureCode !== undefined && typeof charge.failureCode !== 'string')
    return 'failureCode is not a string';
  return undefined;
}

/**
 * The partner's charge as we act on it. An answer without an id, a known
 * status, an integer amount, a currency code or a reference is a dependency
 * failure (MalformedResponseError: the outcome is unknown, so it is retried or
 * looked up), never a success.
 */
function toOutcome(charge: PartnerCharge | undefined): ChargeOutcome {
  const wrong = malformation(charge);
  if (wrong) throw new MalformedResponseError(`payments answered a malformed charge: ${wrong}`);
  const c = charge as PartnerCharge;
  return {
    chargeId: c.id as string,
    status: c.status as ChargeOutcome['status'],
    amount: c.amount as number,
    currency: c.currency as string,
    reference: c.reference as string,
    ...(typeof c.failureCode === 'string' ? { failureCode: c.failureCode } : {}),
  };
}

const unknownOutcome = (e: unknown) =>
  e instanceof UnknownOutcomeError ||
  e instanceof TimeoutError ||
  e instanceof NetworkError ||
  e instanceof MalformedResponseError;

export function createPaymentsAdapter(options: {
  client: DependencyClient;
  clock: Clock;
  deadlineMs?: number;
  pauseMs?: number;
}) {
  const { client } = options;

  async function lookup(
    reference: string,
    context: CallContext,
    deadline: number,
    attempt?: number,
  ): Promise<ChargeOutcome | undefined> {
    const { body } = await client.request<{ data?: PartnerCharge[] }>({
      method: 'GET',
      path: '/v1/charges',
      route: '/v1/charges',
      query: { reference },
      deadline,
      requestId: context.requestId,
      traceparent: context.traceparent,
      attempt,
    });
    // no list is not "no charge": an answer we cannot read must not let a payment be abandoned
    if (!Array.isArray(body?.data))
      throw new MalformedResponseError('payments answered a lookup without data');
    const found = body.data.map(toOutcome);
    return found[found.length - 1]; // the latest; settle verifies it is the one we asked for
  }

  return {
    /** Charge once per (order, n). Throws when the outcome is still unknown or the partner is down. */
    async charge(request: ChargeRequest, context: CallContext = {}): Promise<ChargeOutcome> {
      const key = paymentKey(request.orderId, request.n);
      const deadline = options.clock.now() + (options.deadlineMs ?? 10_000);
      let lastError: unknown;
      let maybeCharged = false;
      for (let attempt = 1; attempt <= 3; attempt++) {
        try {
          if (maybeCharged) {
            const existing = await lookup(key, context, deadline, attempt);
            if (existing) return existing;
          }
          const { body } = await client.request<PartnerCharge>({
            method: 'POST',
            path: '/v1/charges',
            route: '/v1/charges',
            body: {
              amount: request.amount,
              currency: request.currency,
              reference: key,
              description: request.description,
            },
            idempotencyKey: key,
            deadline,
            requestId: context.requestId,
            traceparent: context.traceparent,
            attempt, // the adapter retries itself: the attempt span shows which try this is
          });
          return toOutcome(body);
        } catch (error) {
          lastError = error;
          const rejected = rejection(error);
          if (rejected) throw rejected;
          if (unknownOutcome(error)) maybeCharged = true;
          if (options.clock.now() >= deadline) break;
          await new Promise((r) => setTimeout(r, (options.pauseMs ?? 50) * attempt));
        }
      }
      throw lastError;
    },
    /** The partner's current view of a charge (the source of truth); undefined when it does not know it. */
    async getCharge(chargeId: string): Promise<ChargeOutcome | undefined> {
      try {
        const { body } = await client.request<PartnerCharge>({
          method: 'GET',
          path: `/v1/charges/${encodeURIComponent(chargeId)}`,
          route: '/v1/charges/{id}',
          deadline: options.clock.now() + (options.deadlineMs ?? 10_000),
        });
        return toOutcome(body);
      } catch (error) {
        if (error instanceof HttpStatusError && error.status === 404) return undefined;
        throw error;
      }
    },
    lookup: (orderId: string, n: number, context: CallContext = {}) =>
      lookup(paymentKey(orderId, n), context, options.clock.now() + (options.deadlineMs ?? 10_000)),
  };
}

export type PaymentsAdapter = ReturnType<typeof createPaymentsAdapter>;

/** `pay:<orderId>:<n>` → its parts, or undefined for a reference we did not make. */
export function parsePaymentKey(reference: string): { orderId: string; n: number } | undefined {
  const match = /^pay:(ord_[0-9a-z]{26}):(\d{1,6})$/.exec(reference);
  return match ? { orderId: match[1], n: Number(match[2]) } : undefined;
}
