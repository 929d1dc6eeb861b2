/**
 * Console sessions: signing in with an operator key stores a session row
 * (the cookie carries a random token; the database keeps only its SHA-256)
 * with its own CSRF token. A session ends when it expires (idle `ttlMs`,
 * renewed while used, never past `maxAgeMs`), when the operator signs out,
 * or when the key it was opened with is revoked or expires.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Clock } from '@steadfast/toolkit/ids';
import type { Queryable } from '@steadfast/toolkit/postgres';

export const SESSION_COOKIE = 'steadfast_console';
export const SIGN_IN_COOKIE = 'steadfast_console_signin';

export interface ConsoleSession {
  operatorId: string;
  operatorName: string;
  keyId: string;
  csrfToken: string;
  expiresAt: number;
  /** the cookie must be sent again: the expiry moved */
  renewed: boolean;
}

export interface ConsoleSessionsOptions {
  db: Queryable;
  clock: Clock;
  random?: (size: number) => Buffer;
  /** idle expiry (default 30 min) */
  ttlMs?: number;
  /** absolute cap from sign-in (default 8 h) */
  maxAgeMs?: number;
}

const hash = (token: string) => createHash('sha256').update(token).digest();

export function newToken(random: (size: number) => Buffer = randomBytes): string {
  return random(32).toString('base64url');
}

/** constant-time equality of two tokens (a CSRF check must not leak where they differ) */
export function sameToken(a: string | undefined, b: string | undefined): boolean {
  if (!a || !b) return false;
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export function createConsoleSessions(options: ConsoleSessionsOptions) {
  const { db, clock } = options;
  const random = options.random ?? randomBytes;
  const ttlMs = options.ttlMs ?? 30 * 60_000;
  const maxAgeMs = options.maxAgeMs ?? 8 * 3600_000;
  return {
    ttlMs,
    /** `tx`: the caller's transaction (the sign-in and its audit row together) */
    async open(
      operatorId: string,
      keyId: string,
      tx: Queryable = db,
    ): Promise<{ token: string; csrfToken: string }> {
      const token = newToken(random);
      const csrfToken = newToken(random);
      await tx.query(
        `INSERT INTO console_sessions (token_hash, operator_id, key_id, csrf_token, created_at, expires_at)
         VALUES ($1, $2, $3, $4, to_timestamp($5 / 1000.0), to_timestamp($6 / 1000.0))`,
        [hash(token), operatorId, keyId, csrfToken, clock.now(), clock.now() + ttlMs],
      );
      return { token, csrfToken };
    },
    /** the live session of a token, renewed when past half its idle time; undefined when there is none */
    async find(token: string | undefined): Promise<ConsoleSession | undefined> {
      if (!token || token.length > 100) return undefined;
      const now = clock.now();
      const { rows } = await db.query<{
        operator_id: string;
        name: string;
        key_id: string;
        csrf_token: string;
        expires_ms: string;
        created_ms: string;
      }>(
        `SELECT s.operator_id, o.name, s.key_id, s.csrf_token,
                (extract(epoch FROM s.expires_at) * 1000)::bigint AS expires_ms,
                (extract(epoch FROM s.created_at) * 1000)::bigint AS created_ms
           FROM console_sessions s
           JOIN operators o ON o.id = s.operator_id
           JOIN api_keys k ON k.id = s.key_id
          WHERE s.token_hash = $1 AND s.expires_at > to_timestamp($2 / 1000.0)
            AND k.revoked_at IS NULL AND (k.expires_at IS NULL OR k.expires_at > to_timestamp($2 / 1000.0))`,
        [hash(token), now],
      );
      const row = rows[0];
      if (!row) return undefined;
      let expiresAt = Number(row.expires_ms);
      let renewed = false;
      const cap = Number(row.created_ms) + maxAgeMs;
      if (expiresAt - now < ttlMs / 2 && expiresAt < cap) {
        expiresAt = Math.min(now + ttlMs, cap);
        renewed = true;
        await db.query(
          'UPDATE console_sessions SET expires_at = to_timestamp($2 / 1000.0) WHERE token_hash = $1',
          [hash(token), expiresAt],
        );
      }
      return {
        operatorId: row.operator_id,
        operatorName: row.name,
        keyId: row.key_id,
        csrfToken: row.csrf_token,
        expiresAt,
        renewed,
      };
    },
    async close(token: string, tx: Queryable = db): Promise<void> {
      await tx.query('DELETE FROM console_sessions WHERE token_hash = $1', [hash(token)]);
    },
    /** expired sessions, for the periodic clean-up */
    async reap(): Promise<number> {
      const { rowCount } = await db.query(
        'DELETE FROM console_sessions WHERE expires_at < to_timestamp($1 / 1000.0)',
        [clock.now()],
      );
      return rowCount ?? 0;
    },
  };
}

export type ConsoleSessions = ReturnType<typeof createConsoleSessions>;

/** the cookies of a request (the last value of a repeated name wins) */
export function parseCookies(header: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!header) return out;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const name = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (name) out[name] = value;
  }
  return out;
}

export function sessionCookie(
  name: string,
  value: string,
  options: { maxAgeS: number; secure: boolean },
): string {
  return [
    `${name}=${value}`,
    'Path=/console',
    `Max-Age=${Math.max(0, Math.floor(options.maxAgeS))}`,
    'HttpOnly',
    'SameSite=Strict',
    ...(options.secure ? ['Secure'] : []),
  ].join('; ');
}
