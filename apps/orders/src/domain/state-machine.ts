/**
 * The order state machine: one table decides which action is legal in which
 * status, and where it leads. Pure code, no I/O.
 */

export const ORDER_STATUSES = [
  'draft',
  'submitted',
  'approved',
  'payment_pending',
  'paid',
  'canceled',
] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

export const ORDER_ACTIONS = ['submit', 'approve', 'cancel', 'reopen', 'pay'] as const;
export type OrderAction = (typeof ORDER_ACTIONS)[number];

/** from status → action → to status. Missing entries are illegal. */
export const TRANSITIONS: Record<OrderStatus, Partial<Record<OrderAction, OrderStatus>>> = {
  draft: { submit: 'submitted', cancel: 'canceled' },
  submitted: { approve: 'approved', cancel: 'canceled', reopen: 'draft' },
  approved: { cancel: 'canceled', pay: 'payment_pending' },
  payment_pending: {},
  paid: {},
  canceled: { reopen: 'draft' },
};

export function nextStatus(from: OrderStatus, action: OrderAction): OrderStatus | undefined {
  return TRANSITIONS[from][action];
}

export function allowedActions(
  from: OrderStatus,
  among: readonly OrderAction[] = ORDER_ACTIONS,
): OrderAction[] {
  return among.filter((action) => TRANSITIONS[from][action] !== undefined);
}

/** The statuses an action may start from, and the one status it leads to. */
export function transitionOf(action: OrderAction): { from: OrderStatus[]; to: OrderStatus } {
  const from = ORDER_STATUSES.filter((s) => TRANSITIONS[s][action] !== undefined);
  const targets = new Set(from.map((s) => TRANSITIONS[s][action]));
  if (targets.size !== 1) throw new Error(`action ${action} must lead to exactly one status`);
  return { from, to: [...targets][0] as OrderStatus };
}
