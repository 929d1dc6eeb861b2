/**
 * take-payment: charge once per (order, n) through the payments adapter and
 * settle order + operation + outbox in one transaction. Transient failures
 * retry (the job's policy) with the same outbound key; a lost answer is looked
 * up by reference before charging again. If every attempt fails the outcome may
 * be unknown, so nothing is declared failed: the operation stays `running` with
 * `lastError`, and the dead letter can be replayed without double-charging.
 * A refusal of the request by the partner (a 4xx that is not a decline), once
 * the partner confirms it holds no charge for the key, fails the operation with
 * `payment-rejected`, sends the order back to `approved` and leaves a dead
 * letter for an operator (its replay finds the operation ended and does nothing).
 * A charge that is not the one asked for (amount, currency, reference, charge
 * id: payments/verify-charge.ts) ends the job without settling: settle holds
 * it as a `payment-mismatch` with its own dead letter, and a replay of that
 * dead letter charges again with the same key and verifies again.
 */
import type { FaultPoints } from '@steadfast/toolkit/faults';
import type { IdGenerator } from '@steadfast/toolkit/ids';
import { PermanentJobError, type TaskDefinition } from '@steadfast/toolkit/jobs';
import { findOperation, TERMINAL, updateOperation } from '@steadfast/toolkit/operations';
import { ALL_TENANTS, type Pool } from '@steadfast/toolkit/postgres';
import type { ProblemRegistry } from '@steadfast/toolkit/problems';
import { PaymentRejectedError, type PaymentsAdapter } from '../partners/payments.ts';
import { notePendingCharge, type SettleDeps, settlePayment } from '../payments/settle.ts';

export interface TakePaymentPayload extends Record<string, unknown> {
  operationId: string;
  orderId: string;
  tenantId: string;
  n: number;
  amount: number;
  currency: string;
}

export interface TakePaymentDeps extends SettleDeps {
  db: Pool;
  ids: IdGenerator;
  registry: ProblemRegistry;
  payments: PaymentsAdapter;
  faults: FaultPoints;
}

const lastError = (detail: string) => ({
  type: '/problems/dependency-unavailable',
  title: 'A dependency is unavailable',
  status: 503,
  detail,
  dependency: 'payments',
});

/**
 * A refusal may follow an earlier attempt whose answer was lost (that attempt
 * may have charged): ask the partner for the charge by reference before
 * declaring that nothing was charged. Undefined when the partner has none.
 */
async function verifyRejection(
  deps: TakePaymentDeps,
  p: TakePaymentPayload,
): Promise<Awaited<ReturnType<PaymentsAdapter['charge']>> | undefined> {
  try {
    return await deps.payments.lookup(p.orderId, p.n);
  } catch (error) {
    await updateOperation(deps.db, p.operationId, {
      lastError: lastError(`The charge was refused and could not be verified: ${(error as Error).message}`),
    });
    throw error; // transient: the job retries, and asks again
  }
}

export function takePaymentTask(deps: TakePaymentDeps): TaskDefinition<TakePaymentPayload> {
  return {
    name: 'take-payment',
    async run(p) {
      const op = await findOperation(deps.db, p.operationId, ALL_TENANTS); // system work: the job carries the id
      if (!op || TERMINAL.includes(op.status)) return; // settled already (e.g. by a webhook)
      if (op.status === 'pending') await updateOperation(deps.db, p.operationId, { status: 'running' });
      let outcome: Awaited<ReturnType<PaymentsAdapter['charge']>>;
      try {
        outcome = await deps.payments.charge({
          orderId: p.orderId,
          n: p.n,
          amount: p.amount,
          currency: p.currency,
        });
      } catch (error) {
        if (!(error instanceof PaymentRejectedError)) {
          await updateOperation(deps.db, p.operationId, {
            lastError: lastError(`Charging failed: ${(error as Error).message}`),
          });
          throw error;
        }
        const found = await verifyRejection(deps, p);
        if (!found) {
          // the partner refused the request itself and holds no charge for it: nothing was charged
          await settlePayment(
            deps,
            p,
            { chargeId: null, status: 'failed' },
            { rejected: { partnerStatus: error.partnerStatus, partnerCode: error.partnerCode } },
          );
          throw new PermanentJobError(error.message); // an operator should look: our request or setup is wrong
        }
        outcome = found; // an earlier attempt did charge: settle from the partner's record
      }
      deps.faults.hit('after-charge-before-commit');
      if (outcome.status === 'pending') {
        // verified, its id recorded on the operation; a charge that is not ours is held, not polled
        if ((await notePendingCharge(deps, p, outcome)) !== 'pending') return;
        throw new Error(`charge ${outcome.chargeId} is still pending`); // the retry policy polls it
      }
      await settlePayment(deps, p, { ...outcome, status: outcome.status }); // a mismatch is held there
      deps.faults.hit('after-commit-before-ack');
    },
    async onDeadLetter(p, error, client) {
      if (error instanceof PermanentJobError) return; // a rejection: the operation already failed with its problem
      await updateOperation(client, p.operationId, {
        lastError: lastError(
          `Every attempt failed (${(error as Error).message}); the payment is being reconciled.`,
        ),
      });
    },
  };
}
