/** What the payment-integrity tests check after a forged or wrong charge: held, recorded, nothing else changed. */
import assert from 'node:assert/strict';
import type { TestApp } from '../testing.ts';

/** An approved order of exactly `amount` `currency` (the pricing path is not what these tests are about). */
export async function approvedOrder(
  app: TestApp,
  options: { amount: number; currency?: string; apiKey?: string },
): Promise<string> {
  const currency = options.currency ?? 'EUR';
  const created = await app.inject({
    method: 'POST',
    url: '/v1/orders',
    payload: { currency, items: [{ sku: 'INTEGRITY-1', quantity: 1 }] },
    apiKey: options.apiKey,
  });
  assert.equal(created.statusCode, 201, created.body);
  const id = created.json().id as string;
  await app.db.pool.query(`UPDATE orders SET status = 'approved', total_amount = $2 WHERE id = $1`, [
    id,
    options.amount,
  ]);
  return id;
}

/** POST pay; the operation id. */
export async function openPayment(app: TestApp, orderId: string, apiKey?: string): Promise<string> {
  const accepted = await app.inject({ method: 'POST', url: `/v1/orders/${orderId}/pay`, apiKey });
  assert.equal(accepted.statusCode, 202, accepted.body);
  return accepted.json().id as string;
}

/** Everything a settlement could change, for the orders given: to compare before and after. */
export async function stateOf(app: TestApp, orderIds: string[]) {
  const orders = await app.db.pool.query(
    `SELECT id, tenant_id, status, version, last_payment_error FROM orders WHERE id = ANY($1) ORDER BY id`,
    [orderIds],
  );
  const operations = await app.db.pool.query(
    `SELECT id, status, result, error, last_error FROM operations
     WHERE resource = ANY($1::text[]) ORDER BY id`,
    [orderIds.map((id) => `/v1/orders/${id}`)],
  );
  return { orders: orders.rows, operations: operations.rows };
}

/** order.paid / order.payment_failed events written, all tenants. */
export async function paymentEvents(app: TestApp): Promise<number> {
  const { rows } = await app.db.pool.query(
    `SELECT count(*)::int AS n FROM outbox WHERE type IN ('order.paid', 'order.payment_failed')`,
  );
  return rows[0].n;
}

/** steadfast_payment_mismatches_total{field} as /metrics shows it. */
export async function mismatchesCounted(app: TestApp, field: string): Promise<number> {
  const body = (await app.inject({ method: 'GET', url: '/metrics', apiKey: null })).body;
  const line = body
    .split('\n')
    .find((l) => l.startsWith(`steadfast_payment_mismatches_total{field="${field}"}`));
  return line ? Number(line.split(' ').pop()) : 0;
}

interface MismatchDeadLetter {
  id: string;
  tenantId: string;
  task: string;
  status: string;
  errorCategory: string;
  errorMessage: string;
  payload: Record<string, unknown>;
}

/** The open payment-mismatch dead letters of an operation, as GET /v1/dead-letters shows them to `apiKey`. */
export async function mismatchLetters(app: TestApp, opId: string, apiKey?: string) {
  const list = (
    await app.inject({ method: 'GET', url: '/v1/dead-letters?task=take-payment', apiKey })
  ).json();
  return (list.data as MismatchDeadLetter[]).filter(
    (d) => d.errorCategory === 'payment-mismatch' && d.status === 'dead' && d.payload.operationId === opId,
  );
}

/**
 * The payment is held: the order payment_pending, the operation running with
 * a payment-mismatch lastError naming exactly `fields`, one open dead letter
 * (seen by the order's tenant), no payment event. Returns the dead letter.
 */
export async function assertHeld(
  app: TestApp,
  held: { orderId: string; opId: string; fields: string[]; apiKey?: string; chargeId?: string },
): Promise<MismatchDeadLetter> {
  const order = (
    await app.inject({ method: 'GET', url: `/v1/orders/${held.orderId}`, apiKey: held.apiKey })
  ).json();
  assert.equal(order.status, 'payment_pending', 'never paid, never sent back');
  assert.equal(order.lastPaymentError, null);
  const op = (
    await app.inject({ method: 'GET', url: `/v1/operations/${held.opId}`, apiKey: held.apiKey })
  ).json();
  assert.equal(op.status, 'running');
  const { type, status, category, retryable, mismatches, chargeId } = op.lastError;
  assert.deepEqual(
    { type, status, category, retryable },
    { type: '/problems/payment-mismatch', status: 502, category: 'dependency', retryable: false },
  );
  assert.deepEqual(
    mismatches.map((m: { field: string }) => m.field),
    held.fields,
  );
  if (held.chargeId) assert.equal(chargeId, held.chargeId);
  const letters = await mismatchLetters(app, held.opId, held.apiKey);
  assert.equal(letters.length, 1, 'one dead letter for the operator');
  assert.equal(letters[0].status, 'dead');
  assert.equal(letters[0].payload.orderId, held.orderId);
  for (const field of held.fields) assert.ok((await mismatchesCounted(app, field)) >= 1, `counted: ${field}`);
  assert.equal(await paymentEvents(app), 0, 'no order.paid / order.payment_failed event');
  return letters[0];
}
