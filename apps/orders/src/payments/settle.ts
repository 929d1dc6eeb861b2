/**
 * Apply a payment's known outcome: order, operation and outbox event in one
 * transaction, forward only and idempotent — the worker, the webhook path and
 * the reconciliation sweep share it, and it is the one place an order becomes
 * paid. Under a lock of the order's row, a partner's charge is first verified
 * (verify-charge.ts): one that is not the charge we asked for changes nothing
 * but the record of the mismatch. A failure names its cause honestly: a
 * decline (`payment-declined`), a refusal of the request by the partner
 * (`payment-rejected`), or a payment the partner never got (`dependency-unavailable`).
 */
import type { IdGenerator } from '@steadfast/toolkit/ids';
import type { Logger } from '@steadfast/toolkit/observability';
import { updateOperation } from '@steadfast/toolkit/operations';
import { writeOutboxEvent } from '@steadfast/toolkit/outbox';
import { type Pool, type Queryable, withTransaction } from '@steadfast/toolkit/postgres';
import { buildProblem, type ProblemRegistry } from '@steadfast/toolkit/problems';
import type { Counter } from 'prom-client';
import type { ChargeOutcome } from '../partners/payments.ts';
import { finishPayment, lockPayment } from '../store/orders-store.ts';
import { type ChargeMismatch, compareCharge, expectedCharge, recordMismatch } from './verify-charge.ts';

export interface SettleDeps {
  db: Pool;
  ids: IdGenerator;
  registry: ProblemRegistry;
  /** steadfast_payment_mismatches_total (payments/metrics.ts) */
  mismatches: Counter<'field'>;
  log: Logger;
}

export interface PaymentRef {
  operationId: string;
  orderId: string;
  tenantId: string;
}

/**
 * A partner's charge that ended (verified before it is applied), or — for a
 * rejection or an abandoned payment — no charge at all (`chargeId: null`).
 */
export type SettleOutcome =
  | (Omit<ChargeOutcome, 'status'> & { status: 'succeeded' | 'failed' })
  | { chargeId: null; status: 'failed'; failureCode?: string }
  /** an operator gave up on a held payment: the charge that did not match, if any */
  | { chargeId: string | null; status: 'failed'; failureCode: 'payment_mismatch' };

/**
 * Why a failed payment failed: 'charge' — the partner declined the charge;
 * 'abandoned' — the partner never received it and it is too old to wait for;
 * `{ rejected }` — the partner refused the request itself (4xx), nothing was charged.
 */
export type SettleHow =
  | 'charge'
  | 'abandoned'
  | { rejected: { partnerStatus: number; partnerCode: string | null } }
  | { givenUp: { reason: string } };

export type SettleResult = 'paid' | 'declined' | 'rejected' | 'already-settled' | 'mismatch';

interface Failure {
  slug: string;
  detail: string;
  extensions: Record<string, unknown>;
  code: string;
  result: 'declined' | 'rejected';
}

function describeFailure(outcome: SettleOutcome, how: SettleHow): Failure {
  if (how === 'abandoned') {
    return {
      slug: 'dependency-unavailable',
      detail:
        'The payment partner has no record of this payment and it is too old to wait for; the order is back in approved.',
      extensions: { dependency: 'payments' },
      code: outcome.failureCode ?? 'abandoned',
      result: 'declined',
    };
  }
  if (typeof how === 'object' && 'givenUp' in how) {
    return {
      slug: 'payment-mismatch',
      detail: `An operator gave up on this payment after the partner reported a charge that is not the one it asked for (${how.givenUp.reason}); the order is back in approved.`,
      extensions: { dependency: 'payments', chargeId: outcome.chargeId },
      code: 'payment_mismatch',
      result: 'declined',
    };
  }
  if (how !== 'charge') {
    const { partnerStatus, partnerCode } = how.rejected;
    return {
      slug: 'payment-rejected',
      detail: `The payment partner refused the charge request (${partnerStatus}${partnerCode ? ` ${partnerCode}` : ''}); nothing was charged and the order is back in approved.`,
      extensions: { dependency: 'payments', partnerStatus, partnerCode },
      code: 'rejected_by_partner',
      result: 'rejected',
    };
  }
  const code = outcome.failureCode ?? 'declined';
  return {
    slug: 'payment-declined',
    detail: `The payment partner declined the charge (${code}).`,
    extensions: { failureCode: code },
    code,
    result: 'declined',
  };
}

interface Decision {
  result: SettleResult;
  /** set when the partner's charge is not ours; `recorded` when this mismatch is new */
  mismatch?: { fields: ChargeMismatch[]; recorded: boolean };
}

/** Count and log a new mismatch once its transaction committed. */
function reportMismatch(deps: SettleDeps, ref: PaymentRef, chargeId: string, decision: Decision): void {
  if (!decision.mismatch?.recorded) return;
  for (const m of decision.mismatch.fields) deps.mismatches.inc({ field: m.field });
  deps.log.error(
    { operationId: ref.operationId, orderId: ref.orderId, chargeId, mismatches: decision.mismatch.fields },
    'payment partner charge does not match the payment; held for an operator',
  );
}

/**
 * Lock the order and check the partner's charge against the current attempt.
 * Undefined when the order is no longer payment_pending (already settled);
 * otherwise the mismatches (empty: it is our charge).
 */
async function lockAndVerify(
  tx: Queryable,
  deps: SettleDeps,
  ref: PaymentRef,
  charge: Omit<ChargeOutcome, 'status'> & { status: ChargeOutcome['status'] },
): Promise<Decision | undefined> {
  const locked = await lockPayment(tx, { tenantId: ref.tenantId, id: ref.orderId });
  if (locked?.status !== 'payment_pending') return { result: 'already-settled' };
  const fields = compareCharge(await expectedCharge(tx, ref, locked), charge);
  if (fields.length === 0) return undefined;
  const recorded = await recordMismatch(tx, deps, ref, locked, charge, fields);
  return { result: 'mismatch', mismatch: { fields, recorded } };
}

export async function settlePayment(
  deps: SettleDeps,
  ref: PaymentRef,
  outcome: SettleOutcome,
  how: SettleHow = 'charge',
): Promise<SettleResult> {
  const charge = how === 'charge' && 'amount' in outcome ? outcome : undefined;
  if (how === 'charge' && !charge) throw new Error('a charge outcome needs the partner’s charge');
  const decision = await withTransaction(deps.db, async (tx): Promise<Decision> => {
    const held = charge && (await lockAndVerify(tx, deps, ref, charge));
    return held || { result: await applyOutcome(tx, deps, ref, outcome, how) };
  });
  if (charge) reportMismatch(deps, ref, charge.chargeId, decision);
  return decision.result;
}

/**
 * A verified charge that is still pending: record its id on the attempt's
 * operation (`result: { chargeId, chargeStatus: 'pending' }`) so any later
 * charge for the attempt must carry it. A charge that is not ours is held as
 * a mismatch and not recorded.
 */
export async function notePendingCharge(
  deps: SettleDeps,
  ref: PaymentRef,
  charge: ChargeOutcome,
): Promise<'pending' | 'mismatch' | 'already-settled'> {
  const held = await withTransaction(deps.db, async (tx) => {
    const decision = await lockAndVerify(tx, deps, ref, charge);
    if (!decision) {
      await updateOperation(tx, ref.operationId, {
        result: { chargeId: charge.chargeId, chargeStatus: 'pending' },
      });
    }
    return decision;
  });
  if (!held) return 'pending';
  reportMismatch(deps, ref, charge.chargeId, held);
  return held.result === 'mismatch' ? 'mismatch' : 'already-settled';
}

/** Order, operation and outbox in the caller's transaction; forward only (undefined order: already settled). */
export async function applyOutcome(
  tx: Queryable,
  deps: Pick<SettleDeps, 'ids' | 'registry'>,
  ref: PaymentRef,
  outcome: SettleOutcome,
  how: SettleHow,
): Promise<SettleResult> {
  const paid = outcome.status === 'succeeded';
  const failure = paid ? undefined : describeFailure(outcome, how);
  const chargeId = outcome.chargeId || null; // never "": no charge is null
  const error = failure && {
    type: `/problems/${failure.slug}`,
    code: failure.code,
    chargeId,
    ...(typeof how === 'object' && 'rejected' in how ? how.rejected : {}),
  };
  const order = await finishPayment(tx, { tenantId: ref.tenantId, id: ref.orderId, paid, error });
  if (!order) return 'already-settled';
  const problem =
    failure &&
    buildProblem(deps.registry, {
      slug: failure.slug,
      detail: failure.detail,
      instance: `/v1/operations/${ref.operationId}`,
      requestId: ref.operationId,
      extensions: failure.extensions,
    });
  await updateOperation(tx, ref.operationId, {
    status: paid ? 'succeeded' : 'failed',
    result: paid ? { orderId: ref.orderId, chargeId } : undefined,
    error: problem,
  });
  await writeOutboxEvent(tx, {
    id: deps.ids.next('evt'),
    tenantId: ref.tenantId,
    type: paid ? 'order.paid' : 'order.payment_failed',
    payload: { orderId: ref.orderId, chargeId, ...(error ? { error } : {}) },
  });
  return paid ? 'paid' : (failure?.result ?? 'declined');
}
