/** The order state machine against the table written out here: deleting or adding a transition fails a test. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  allowedActions,
  nextStatus,
  ORDER_ACTIONS,
  ORDER_STATUSES,
  type OrderAction,
  type OrderStatus,
  TRANSITIONS,
  transitionOf,
} from './state-machine.ts';

// status → [submit, approve, cancel, reopen, pay]; '-' is illegal
const TABLE: Record<string, string[]> = {
  draft: ['submitted', '-', 'canceled', '-', '-'],
  submitted: ['-', 'approved', 'canceled', 'draft', '-'],
  approved: ['-', '-', 'canceled', '-', 'payment_pending'],
  payment_pending: ['-', '-', '-', '-', '-'],
  paid: ['-', '-', '-', '-', '-'],
  canceled: ['-', '-', '-', 'draft', '-'],
};
const ACTIONS = ['submit', 'approve', 'cancel', 'reopen', 'pay'];

test('the statuses and actions, in order', () => {
  assert.deepEqual(ORDER_STATUSES, ['draft', 'submitted', 'approved', 'payment_pending', 'paid', 'canceled']);
  assert.deepEqual(ORDER_ACTIONS, ACTIONS);
});

describe('nextStatus: every (status × action) pair', () => {
  for (const [from, row] of Object.entries(TABLE)) {
    ACTIONS.forEach((action, i) => {
      const to = row[i] === '-' ? undefined : row[i];
      test(`${from} + ${action} → ${to ?? 'illegal'}`, () => {
        assert.equal(nextStatus(from as OrderStatus, action as OrderAction), to);
      });
    });
  }
});

describe('allowedActions', () => {
  const allowed: [string, string[]][] = [
    ['draft', ['submit', 'cancel']],
    ['submitted', ['approve', 'cancel', 'reopen']],
    ['approved', ['cancel', 'pay']],
    ['payment_pending', []],
    ['paid', []],
    ['canceled', ['reopen']],
  ];
  for (const [status, actions] of allowed) {
    test(`${status}: ${actions.join(', ') || 'none'}`, () => {
      assert.deepEqual(allowedActions(status as OrderStatus), actions);
    });
  }

  test('only among the actions asked about, in their order', () => {
    assert.deepEqual(allowedActions('submitted', ['reopen', 'pay', 'cancel']), ['reopen', 'cancel']);
    assert.deepEqual(allowedActions('approved', ['submit']), []);
  });
});

describe('transitionOf', () => {
  const transitions: [string, string[], string][] = [
    ['submit', ['draft'], 'submitted'],
    ['approve', ['submitted'], 'approved'],
    ['cancel', ['draft', 'submitted', 'approved'], 'canceled'],
    ['reopen', ['submitted', 'canceled'], 'draft'],
    ['pay', ['approved'], 'payment_pending'],
  ];
  for (const [action, from, to] of transitions) {
    test(`${action}: from ${from.join(' | ')} to ${to}`, () => {
      assert.deepEqual(transitionOf(action as OrderAction), { from, to });
    });
  }
});

test('transitionOf refuses a table where an action leads to two statuses', () => {
  // the guard against an edit of TRANSITIONS that breaks "one action, one target"
  const canceled = TRANSITIONS.canceled;
  TRANSITIONS.canceled = { reopen: 'submitted' };
  try {
    assert.throws(() => transitionOf('reopen'), { message: 'action reopen must lead to exactly one status' });
    assert.deepEqual(transitionOf('submit'), { from: ['draft'], to: 'submitted' });
  } finally {
    TRANSITIONS.canceled = canceled;
  }
  assert.deepEqual(transitionOf('reopen'), { from: ['submitted', 'canceled'], to: 'draft' });
});
