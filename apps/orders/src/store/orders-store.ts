/**
 * SQL for orders. Every statement is scoped by tenant. Writes are single
 * statements (one round trip, one commit); conditional updates carry the
 * expected status and version so concurrent writers cannot both win.
 */
import type { RowEffect } from '@steadfast/toolkit/idempotency';
import type { Queryable } from '@steadfast/toolkit/postgres';
import type { Customer, Order, OrderItem } from '../domain/order.ts';
import type { OrderStatus } from '../domain/state-machine.ts';

interface OrderRow {
  id: string;
  tenant_id: string;
  status: OrderStatus;
  currency: string;
  items: OrderItem[];
  total_amount: string;
  customer: Customer | null;
  metadata: Record<string, string>;
  last_payment_error: Record<string, unknown> | null;
  priced_at: Date;
  pricing_stale: boolean;
  version: number;
  created_at: Date;
  updated_at: Date;
}

/** the columns written; reads select CUSTOMER instead of customer_email */
/**
 * An order's customer: the `customer` column, else (a row the previous release wrote and the
 * backfill has not reached yet) built from customer_email. Contract step: just `customer`.
 */
const CUSTOMER = `coalesce(customer, CASE WHEN customer_email IS NULL THEN NULL
  ELSE jsonb_build_object('email', customer_email, 'name', NULL) END) AS customer`;

const COLUMNS = `id, tenant_id, status, currency, items, total_amount, ${CUSTOMER}, metadata,
  last_payment_error, priced_at, pricing_stale, version, created_at, updated_at`;

export function toOrder(row: OrderRow): Order {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    status: row.status,
    currency: row.currency,
    items: row.items,
    totalAmount: Number(row.total_amount),
    customer: row.customer && { email: row.customer.email ?? null, name: row.customer.name ?? null },
    metadata: row.metadata,
    lastPaymentError: row.last_payment_error,
    pricing: { asOf: row.priced_at.toISOString(), stale: row.pricing_stale },
    version: row.version,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

function customerJson(customer: Customer | null): string | null {
  return customer === null ? null : JSON.stringify({ email: customer.email, name: customer.name });
}

/** the columns of a new order's row, with their SQL types */
const ORDER_ROW_COLUMNS = [
  ['id', 'text'],
  ['tenant_id', 'text'],
  ['status', 'text'],
  ['currency', 'text'],
  ['items', 'jsonb'],
  ['total_amount', 'bigint'],
  ['customer_email', 'text'],
  ['customer', 'jsonb'],
  ['metadata', 'jsonb'],
  ['last_payment_error', 'jsonb'],
  ['priced_at', 'timestamptz'],
  ['pricing_stale', 'boolean'],
  ['version', 'integer'],
  ['created_at', 'timestamptz'],
  ['updated_at', 'timestamptz'],
] as const;

/**
 * A new order as one row for the idempotency engine's `insertOnce`: it is
 * written by the same statement as its key record (no key claimed, no
 * order), and concurrent creates share one multi-row statement.
 */
export function orderRow(order: Order): RowEffect {
  return {
    name: 'orders.insert',
    table: 'orders',
    columns: ORDER_ROW_COLUMNS,
    values: [
      order.id,
      order.tenantId,
      order.status,
      order.currency,
      JSON.stringify(order.items),
      order.totalAmount,
      // dual-write: the previous release reads customer_email
      order.customer?.email ?? null,
      customerJson(order.customer),
      JSON.stringify(order.metadata),
      order.lastPaymentError === null ? null : JSON.stringify(order.lastPaymentError),
      order.pricing.asOf,
      order.pricing.stale,
      order.version,
      order.createdAt,
      order.updatedAt,
    ],
  };
}

export async function findOrder(db: Queryable, tenantId: string, id: string): Promise<Order | undefined> {
  const { rows } = await db.query<OrderRow>({
    name: 'orders.find',
    text: `SELECT ${COLUMNS} FROM orders WHERE id = $1 AND tenant_id = $2`,
    values: [id, tenantId],
  });
  return rows[0] ? toOrder(rows[0]) : undefined;
}

export interface ListOrdersQuery {
  tenantId: string;
  status?: OrderStatus;
  /** return orders with ids below this one (newest first) */
  beforeId?: string;
  limit: number;
}

/** Newest first; fetches limit + 1 rows so the caller knows whether more exist. */
export async function listOrders(db: Queryable, q: ListOrdersQuery): Promise<Order[]> {
  const { rows } = await db.query<OrderRow>(
    `SELECT ${COLUMNS} FROM orders
     WHERE tenant_id = $1 AND ($2::text IS NULL OR status = $2) AND ($3::text IS NULL OR id < $3)
     ORDER BY id DESC LIMIT $4`,
    [q.tenantId, q.status ?? null, q.beforeId ?? null, q.limit + 1],
  );
  return rows.map(toOrder);
}

export interface OrderChanges {
  currency: string;
  items: OrderItem[];
  totalAmount: number;
  customer: Customer | null;
  metadata: Record<string, string>;
  pricing: { asOf: string; stale: boolean };
}

/** Update a draft at exactly `expectedVersion`; undefined when it is no longer that draft. */
export async function updateDraft(
  db: Queryable,
  tenantId: string,
  id: string,
  expectedVersion: number,
  changes: OrderChanges,
  now: string,
): Promise<Order | undefined> {
  const { rows } = await db.query<OrderRow>(
    `UPDATE orders SET currency = $4, items = $5, total_amount = $6, customer_email = $7, customer = $12::jsonb,
       metadata = $8, priced_at = $9, pricing_stale = $10, version = version + 1, updated_at = $11
     WHERE id = $1 AND tenant_id = $2 AND version = $3 AND status = 'draft'
     RETURNING ${COLUMNS}`,
    [
      id,
      tenantId,
      expectedVersion,
      changes.currency,
      JSON.stringify(changes.items),
      changes.totalAmount,
      changes.customer?.email ?? null,
      JSON.stringify(changes.metadata),
      changes.pricing.asOf,
      changes.pricing.stale,
      now,
      customerJson(changes.customer),
    ],
  );
  return rows[0] ? toOrder(rows[0]) : undefined;
}

/**
 * Move an order from one of `from` to `to` in one statement. With
 * `versions`, only when the current version is one of them. Undefined when no
 * row matched (missing, other status, or other version): the caller re-reads
 * to explain why.
 */
export async function transitionOrder(
  db: Queryable,
  args: {
    tenantId: string;
    id: string;
    from: OrderStatus[];
    to: OrderStatus;
    versions?: number[];
    now: string;
  },
): Promise<Order | undefined> {
  const { rows } = await db.query<OrderRow>(
    `UPDATE orders SET status = $4, version = version + 1, updated_at = $6
     WHERE id = $1 AND tenant_id = $2 AND status = ANY($3::text[]) AND ($5::int[] IS NULL OR version = ANY($5::int[]))
     RETURNING ${COLUMNS}`,
    [args.id, args.tenantId, args.from, args.to, args.versions ?? null, args.now],
  );
  return rows[0] ? toOrder(rows[0]) : undefined;
}

/** approved → payment_pending, counting pay requests; returns the order and n (this pay request's number). */
export async function startPayment(
  db: Queryable,
  args: { tenantId: string; id: string; versions?: number[]; now: string },
): Promise<{ order: Order; n: number } | undefined> {
  const { rows } = await db.query<OrderRow & { payment_attempts: number }>(
    `UPDATE orders SET status = 'payment_pending', payment_attempts = payment_attempts + 1, version = version + 1,
       last_payment_error = NULL, updated_at = $4
     WHERE id = $1 AND tenant_id = $2 AND status = 'approved' AND ($3::int[] IS NULL OR version = ANY($3::int[]))
     RETURNING ${COLUMNS}, payment_attempts`,
    [args.id, args.tenantId, args.versions ?? null, args.now],
  );
  return rows[0] ? { order: toOrder(rows[0]), n: rows[0].payment_attempts } : undefined;
}

/**
 * Leave payment_pending, forward only: to `paid`, or back to `approved` with
 * the payment error. Undefined when the order was no longer payment_pending.
 */
export async function finishPayment(
  db: Queryable,
  args: { tenantId: string; id: string; paid: boolean; error?: Record<string, unknown> },
): Promise<Order | undefined> {
  const { rows } = await db.query<OrderRow>(
    `UPDATE orders SET status = $3, last_payment_error = $4::jsonb, version = version + 1, updated_at = now()
     WHERE id = $1 AND tenant_id = $2 AND status = 'payment_pending'
     RETURNING ${COLUMNS}`,
    [args.id, args.tenantId, args.paid ? 'paid' : 'approved', args.error ? JSON.stringify(args.error) : null],
  );
  return rows[0] ? toOrder(rows[0]) : undefined;
}

/** What a payment in flight is checked against: the order's row, locked until the caller's transaction ends. */
export interface LockedPayment {
  status: OrderStatus;
  totalAmount: number;
  currency: string;
  /** the current pay request number n of `pay:<orderId>:<n>` */
  n: number;
}

/**
 * Lock an order's row (FOR UPDATE) for a payment decision: the webhook path,
 * the worker and the reconciliation sweep serialise on it, so one checks and
 * settles while the others wait. Undefined when there is no such order.
 */
export async function lockPayment(
  db: Queryable,
  args: { tenantId: string; id: string },
): Promise<LockedPayment | undefined> {
  const { rows } = await db.query<{
    status: OrderStatus;
    total_amount: string;
    currency: string;
    payment_attempts: number;
  }>(
    `SELECT status, total_amount, currency, payment_attempts FROM orders
     WHERE id = $1 AND tenant_id = $2 FOR UPDATE`,
    [args.id, args.tenantId],
  );
  const row = rows[0];
  return (
    row && {
      status: row.status,
      totalAmount: Number(row.total_amount),
      currency: row.currency,
      n: row.payment_attempts,
    }
  );
}
