/**
 * steadfast/ids: prefixed, sortable ids (`ord_…`). 48 bits of milliseconds and
 * 80 random bits in Crockford base32, 26 characters after the prefix; ids made
 * by one generator are strictly increasing, even within a millisecond.
 */
import { randomBytes } from 'node:crypto';

export interface Clock {
  /** milliseconds since the epoch */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

export type RandomBytes = (size: number) => Buffer;

/**
 * Cryptographic random bytes served from a pool refilled 4 KB at a time: one
 * system call per few hundred ids instead of one per id.
 */
export function createRandomPool(poolBytes = 4096): RandomBytes {
  let pool = randomBytes(poolBytes);
  let offset = 0;
  return (size) => {
    if (size > poolBytes) return randomBytes(size);
    if (offset + size > poolBytes) {
      pool = randomBytes(poolBytes);
      offset = 0;
    }
    const out = Buffer.from(pool.subarray(offset, offset + size));
    offset += size;
    return out;
  };
}

const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

function encode(value: bigint, length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) {
    out = ALPHABET[Number(value & 31n)] + out;
    value >>= 5n;
  }
  return out;
}

export interface IdGenerator {
  next(prefix: string): string;
}

const PREFIX = /^[a-z][a-z0-9]{0,15}$/;

export function createIdGenerator(options: { clock?: Clock; random?: RandomBytes } = {}): IdGenerator {
  const clock = options.clock ?? systemClock;
  const random = options.random ?? createRandomPool();
  let lastMs = -1;
  let lastRandom = 0n;
  return {
    next(prefix) {
      if (!PREFIX.test(prefix))
        throw new Error(`id prefix "${prefix}" must be lowercase letters and digits, starting with a letter`);
      const ms = Math.max(clock.now(), lastMs);
      if (ms === lastMs) {
        lastRandom = (lastRandom + 1n) & ((1n << 80n) - 1n);
      } else {
        lastRandom = BigInt(`0x${random(10).toString('hex')}`) >> 1n; // room to count up
        lastMs = ms;
      }
      return `${prefix}_${encode(BigInt(ms), 10)}${encode(lastRandom, 16)}`.toLowerCase();
    },
  };
}

/** `prefix_` followed by 26 base32 characters, as made by createIdGenerator. */
export function idPattern(prefix: string): string {
  if (!PREFIX.test(prefix))
    throw new Error(`id prefix "${prefix}" must be lowercase letters and digits, starting with a letter`);
  return `^${prefix}_[0-9a-hjkmnp-tv-z]{26}$`;
}
