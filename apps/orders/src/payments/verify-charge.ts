/**
 * The one rule before acting on a partner's charge — shared by the worker,
 * the webhook path and the reconciliation sweep through settle: the charge
 * must be the one we asked for on the order's current attempt — same amount,
 * same currency, reference `pay:<orderId>:<n>`, and, once we recorded a charge
 * id for the attempt (a pending answer), that id. A charge that is not ours
 * says nothing about our payment, whether it succeeded or failed: it never
 * makes an order `paid` and never sends it back to `approved`. A mismatch is
 * recorded for a human: the operation's `lastError` (problem
 * `payment-mismatch`), a dead letter, and (by the caller, after commit) the
 * `steadfast_payment_mismatches_total{field}` counter.
 */
import type { IdGenerator } from '@steadfast/toolkit/ids';
import { insertDeadLetter, listDeadLetters } from '@steadfast/toolkit/jobs';
import { updateOperation } from '@steadfast/toolkit/operations';
import type { Queryable } from '@steadfast/toolkit/postgres';
import { buildProblem, type ProblemRegistry } from '@steadfast/toolkit/problems';
import { type ChargeOutcome, paymentKey } from '../partners/payments.ts';
import type { LockedPayment } from '../store/orders-store.ts';

export type MismatchField = 'amount' | 'currency' | 'reference' | 'chargeId';

/** One field where the partner's charge differs from what we asked for (never card data: there is none). */
export interface ChargeMismatch {
  field: MismatchField;
  expected: string | number;
  got: string | number;
}

/** What we asked the partner for on the current attempt. */
export interface ExpectedCharge {
  amount: number;
  currency: string;
  reference: string;
  /** the charge id recorded for this attempt, null while we have none */
  chargeId: string | null;
}

export type ChargeFacts = Pick<ChargeOutcome, 'chargeId' | 'amount' | 'currency' | 'reference'>;

/** Every field where `got` is not the charge we expected; empty when it is ours. */
export function compareCharge(expected: ExpectedCharge, got: ChargeFacts): ChargeMismatch[] {
  const out: ChargeMismatch[] = [];
  if (got.amount !== expected.amount)
    out.push({ field: 'amount', expected: expected.amount, got: got.amount });
  if (got.currency !== expected.currency)
    out.push({ field: 'currency', expected: expected.currency, got: got.currency });
  if (got.reference !== expected.reference)
    out.push({ field: 'reference', expected: expected.reference, got: got.reference });
  if (expected.chargeId !== null && got.chargeId !== expected.chargeId)
    out.push({ field: 'chargeId', expected: expected.chargeId, got: got.chargeId });
  return out;
}

/**
 * The charge the current attempt asked for, read while the order's row is
 * locked: the order's amount and currency, its current n, and the charge id
 * recorded on the attempt's operation (`result.chargeId`, written when a
 * verified charge was still pending).
 */
export async function expectedCharge(
  tx: Queryable,
  ref: { operationId: string; orderId: string },
  locked: LockedPayment,
): Promise<ExpectedCharge> {
  const { rows } = await tx.query<{ charge_id: string | null }>(
    `SELECT result->>'chargeId' AS charge_id FROM operations WHERE id = $1`,
    [ref.operationId],
  );
  return {
    amount: locked.totalAmount,
    currency: locked.currency,
    reference: paymentKey(ref.orderId, locked.n),
    chargeId: rows[0]?.charge_id ?? null,
  };
}

export const describeMismatches = (mismatches: ChargeMismatch[]) =>
  mismatches.map((m) => `${m.field} expected ${m.expected}, got ${m.got}`).join('; ');

/**
 * Record a mismatch in the caller's transaction (the order stays
 * payment_pending): the operation stays running with a `payment-mismatch`
 * `lastError`, and a dead letter (task take-payment, so a replay re-runs the
 * charge with the same key and verifies again) — one open dead letter per
 * operation and charge, however often the sweep finds it again. Returns true
 * when this mismatch is new (the caller counts and logs it).
 */
export async function recordMismatch(
  tx: Queryable,
  deps: { ids: IdGenerator; registry: ProblemRegistry },
  ref: { operationId: string; orderId: string; tenantId: string },
  locked: LockedPayment,
  charge: ChargeFacts & { status: ChargeOutcome['status'] },
  mismatches: ChargeMismatch[],
): Promise<boolean> {
  const lastError = buildProblem(deps.registry, {
    slug: 'payment-mismatch',
    detail: `The payment partner's charge ${charge.chargeId} (${charge.status}) is not the charge this payment asked for: ${describeMismatches(mismatches)}. The order stays payment_pending until an operator decides.`,
    instance: `/v1/operations/${ref.operationId}`,
    requestId: ref.operationId,
    extensions: {
      dependency: 'payments',
      chargeId: charge.chargeId,
      chargeStatus: charge.status,
      mismatches,
    },
  });
  const op = await updateOperation(tx, ref.operationId, { status: 'running', lastError });
  if (!op) return false; // the operation ended already: nothing to hold
  const open = await listDeadLetters(tx, {
    tenantId: ref.tenantId,
    task: 'take-payment',
    status: 'dead',
    limit: 100,
  });
  const known = open.some(
    (d) =>
      d.errorCategory === 'payment-mismatch' &&
      d.payload.operationId === ref.operationId &&
      d.payload.mismatchedChargeId === charge.chargeId,
  );
  if (known) return false;
  const now = new Date().toISOString();
  await insertDeadLetter(tx, {
    id: deps.ids.next('dl'),
    tenantId: ref.tenantId,
    task: 'take-payment',
    payload: {
      operationId: ref.operationId,
      orderId: ref.orderId,
      tenantId: ref.tenantId,
      n: locked.n,
      amount: locked.totalAmount,
      currency: locked.currency,
      mismatchedChargeId: charge.chargeId,
    },
    attempts: 1,
    errorCategory: 'payment-mismatch',
    errorMessage: `payment-mismatch: charge ${charge.chargeId} (${charge.status}): ${describeMismatches(mismatches)}`,
    firstFailedAt: now,
  });
  return true;
}
