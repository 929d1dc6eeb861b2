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

export interface Order {
  id: string;
  tenantId: string;
  status: OrderStatus;
  currency: string;
  items: OrderItem[];
  totalAmount: number;
  customerEmail: string | null;
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
