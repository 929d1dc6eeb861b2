/**
 * The payments partner's ledger: charges with card-test-number amounts
 * (ending in 02 → declined, 05 → pending then settled), idempotency keys, and
 * status changes that become events. In memory, no HTTP. Charge ids are
 * time-sortable and random (never a counter), so a restarted sandbox never
 * hands out an id that an order already points to.
 */
import { randomBytes } from 'node:crypto';
import type { ChaosConfig } from '../../chaos/config.ts';
import { between, type Random } from '../../chaos/random.ts';

export type ChargeStatus = 'pending' | 'succeeded' | 'failed';

export interface Charge {
  id: string;
  status: ChargeStatus;
  amount: number;
  currency: string;
  reference: string;
  description?: string;
  failureCode?: string;
  version: number;
  createdAt: string;
}

export interface ChargeInput {
  amount: number;
  currency: string;
  reference: string;
  description?: string;
}

export type ChargeEventType = 'charge.pending' | 'charge.succeeded' | 'charge.failed';

export interface LedgerOptions {
  now: () => Date;
  /** random stream for settlement decisions */
  random: () => Random;
  settlement: () => ChaosConfig['settlement'];
  onEvent: (type: ChargeEventType, charge: Charge) => void;
  schedule: (fn: () => void, ms: number) => void;
}

export type KeyedResult =
  | { kind: 'created' | 'replayed'; charge: Charge }
  | { kind: 'conflict' }
  | { kind: 'in-flight' };

const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz'; // Crockford base32, lower case

/** `ch_` + 10 characters of milliseconds + 16 random characters (80 bits), like a ULID. */
export function newChargeId(nowMs: number): string {
  let time = '';
  for (let t = Math.max(0, Math.floor(nowMs)), i = 0; i < 10; i++, t = Math.floor(t / 32)) {
    time = ALPHABET[t % 32] + time;
  }
  let random = '';
  for (const byte of randomBytes(16)) random += ALPHABET[byte & 31];
  return `ch_${time}${random}`;
}

export function createLedger(options: LedgerOptions) {
  const charges = new Map<string, Charge>();
  const order: string[] = [];
  const keys = new Map<string, { fingerprint: string; chargeId?: string }>();

  const snapshot = (c: Charge): Charge => ({ ...c });

  function settle(charge: Charge, status: ChargeStatus, failureCode?: string) {
    charge.status = status;
    charge.version++;
    if (failureCode) charge.failureCode = failureCode;
    options.onEvent(status === 'succeeded' ? 'charge.succeeded' : 'charge.failed', snapshot(charge));
  }

  function create(input: ChargeInput): Charge {
    const createdAt = options.now();
    const charge: Charge = {
      id: newChargeId(createdAt.getTime()),
      status: 'succeeded',
      amount: input.amount,
      currency: input.currency,
      reference: input.reference,
      ...(input.description ? { description: input.description } : {}),
      version: 1,
      createdAt: createdAt.toISOString(),
    };
    const cents = input.amount % 100;
    const settlement = options.settlement() ?? {};
    const random = options.random();
    if (cents === 2) {
      charge.status = 'failed';
      charge.failureCode = 'card_declined';
    } else if (cents === 5 || random() < (settlement.pendingProbability ?? 0)) {
      charge.status = 'pending';
      const delay = between(random, settlement.settleAfterMs ?? [100, 2000]);
      const fails = random() < (settlement.failProbability ?? 0);
      options.schedule(
        () => settle(charge, fails ? 'failed' : 'succeeded', fails ? 'card_declined' : undefined),
        delay,
      );
    }
    charges.set(charge.id, charge);
    order.push(charge.id);
    options.onEvent(`charge.${charge.status}` as ChargeEventType, snapshot(charge));
    return snapshot(charge);
  }

  return {
    /** Claim a key before the (slow) work; the caller then calls finishKeyed. */
    beginKeyed(key: string, input: ChargeInput): KeyedResult | undefined {
      const fingerprint = JSON.stringify([
        input.amount,
        input.currency,
        input.reference,
        input.description ?? null,
      ]);
      const existing = keys.get(key);
      if (existing) {
        if (existing.fingerprint !== fingerprint) return { kind: 'conflict' };
        if (!existing.chargeId) return { kind: 'in-flight' };
        return { kind: 'replayed', charge: snapshot(charges.get(existing.chargeId) as Charge) };
      }
      keys.set(key, { fingerprint });
      return undefined;
    },
    finishKeyed(key: string | undefined, input: ChargeInput): Charge {
      const charge = create(input);
      if (key) (keys.get(key) as { chargeId?: string }).chargeId = charge.id;
      return charge;
    },
    get: (id: string) => {
      const c = charges.get(id);
      return c ? snapshot(c) : undefined;
    },
    byReference: (reference: string) =>
      order
        .map((id) => charges.get(id) as Charge)
        .filter((c) => c.reference === reference)
        .map(snapshot),
    all: () => order.map((id) => snapshot(charges.get(id) as Charge)),
    reset() {
      charges.clear();
      order.length = 0;
      keys.clear();
    },
  };
}

export type Ledger = ReturnType<typeof createLedger>;
