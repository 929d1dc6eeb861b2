/** The order resource and its pure calculations. */
import type { PriceQuote } from './pricing.ts';
import type { OrderStatus } from './state-machine.ts';

export interface OrderItemInput {
  sku: string;
  quantity: number;
}

export interface OrderItem extends OrderItemInput {
  unitAmount: number;
  amount: number;
}

/** Who the order is for; either part may be unknown. */
export interface Customer {
  email: string | null;
  name: string | null;
}

export interface Order {
  id: string;
  tenantId: string;
  status: OrderStatus;
  currency: string;
  items: OrderItem[];
  totalAmount: number;
  customer: Customer | null;
  metadata: Record<string, string>;
  lastPaymentError: Record<string, unknown> | null;
  pricing: { asOf: string; stale: boolean };
  version: number;
  createdAt: string;
  updatedAt: string;
}

export function priceItems(
  items: OrderItemInput[],
  quote: PriceQuote,
): { items: OrderItem[]; totalAmount: number } {
  let totalAmount = 0;
  const priced = items.map(({ sku, quantity }) => {
    const unitAmount = quote.unitAmounts.get(sku);
    if (unitAmount === undefined) throw new Error(`no price for ${sku}`);
    const amount = unitAmount * quantity;
    totalAmount += amount;
    return { sku, quantity, unitAmount, amount };
  });
  return { items: priced, totalAmount };
}

/** JSON merge patch (RFC 7396) of flat string metadata: null removes a key. */
export function mergeMetadata(
  current: Record<string, string>,
  patch: Record<string, string | null>,
): Record<string, string> {
  const next = { ...current };
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete next[key];
    else next[key] = value;
  }
  return next;
}

/**
 * The customer after setting (or, with null, clearing) only the email, as a client that knows
 * nothing but `customerEmail` does: the name is kept; nothing known at all is null.
 */
export function withCustomerEmail(customer: Customer | null, email: string | null): Customer | null {
  const name = customer?.name ?? null;
  return email === null && name === null ? null : { email, name };
}

/**
 * JSON merge patch (RFC 7396) of the customer: `null` removes it, a member set to null removes that
 * member, an absent member is kept; a customer with nothing known is null.
 */
export function mergeCustomer(
  current: Customer | null,
  patch: { email?: string | null; name?: string | null } | null,
): Customer | null {
  if (patch === null) return null;
  const email = patch.email === undefined ? (current?.email ?? null) : patch.email;
  const name = patch.name === undefined ? (current?.name ?? null) : patch.name;
  return email === null && name === null ? null : { email, name };
}
