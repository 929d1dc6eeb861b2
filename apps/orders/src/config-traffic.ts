/**
 * The traffic part of the configuration (docs/rate-limits.md, docs/resilience.md):
 * per-tenant rate limits by route class, load shedding at the door, the
 * failed-authentication throttle, and which proxies to trust for client addresses.
 */
import { ConfigError, type Env, integer, onOff } from './config-values.ts';

/** the route classes of the Orders API; a tenant override names one of them */
export const ROUTE_CLASSES = ['writes', 'reads', 'long-polls'] as const;
export type RouteClass = (typeof ROUTE_CLASSES)[number];

export interface TrafficConfig {
  /** RATE_LIMITS=off: no per-tenant limits (benchmark baselines) */
  rateLimits:
    | {
        /** requests per window and route class, for every tenant without an override */
        limits: Record<RouteClass, number>;
        windowS: number;
        /** how often each web process reconciles its counts with the others through Postgres */
        syncIntervalMs: number;
        /** a refusal is held at most this long (half its Retry-After), so a client ignoring Retry-After is slowed; 0 = at once */
        refusalDelayMs: number;
      }
    | undefined;
  /** LOAD_SHEDDING=off: admit everything (benchmark baselines) */
  loadShedding: { minLimit: number; maxLimit: number; initialLimit: number } | undefined;
  /** failed authentications per client address in a window before that address gets 429 */
  authFailures: { max: number; windowS: number };
  /** Fastify's trustProxy: false, true, a hop count, or addresses/CIDRs (comma-separated) */
  trustProxy: boolean | number | string;
}

const LIMIT_MAX = 1_000_000;

export function trafficConfig(env: Env): TrafficConfig {
  const limits = {
    writes: integer(env, 'RATE_LIMIT_WRITES', 100, 1, LIMIT_MAX),
    reads: integer(env, 'RATE_LIMIT_READS', 300, 1, LIMIT_MAX),
    'long-polls': integer(env, 'RATE_LIMIT_LONG_POLLS', 30, 1, LIMIT_MAX),
  };
  const windowS = integer(env, 'RATE_LIMIT_WINDOW_S', 1, 1, 86_400);
  const syncIntervalMs = integer(env, 'RATE_LIMIT_SYNC_MS', 100, 10, 60_000);
  const refusalDelayMs = integer(env, 'RATE_LIMIT_REFUSAL_DELAY_MS', 500, 0, 10_000);
  const minLimit = integer(env, 'CONCURRENCY_LIMIT_MIN', 8, 1, 100_000);
  const maxLimit = integer(env, 'CONCURRENCY_LIMIT_MAX', 500, 1, 100_000);
  if (maxLimit < minLimit) {
    throw new ConfigError(
      'CONCURRENCY_LIMIT_MAX',
      `must be at least CONCURRENCY_LIMIT_MIN (${minLimit}), got ${maxLimit}`,
    );
  }
  return {
    rateLimits: onOff(env, 'RATE_LIMITS', true)
      ? { limits, windowS, syncIntervalMs, refusalDelayMs }
      : undefined,
    loadShedding: onOff(env, 'LOAD_SHEDDING', true)
      ? { minLimit, maxLimit, initialLimit: Math.min(maxLimit, Math.max(minLimit, 50)) }
      : undefined,
    authFailures: {
      max: integer(env, 'AUTH_FAILURES_PER_ADDRESS', 20, 1, LIMIT_MAX),
      windowS: integer(env, 'AUTH_FAILURE_WINDOW_S', 10, 1, 86_400),
    },
    trustProxy: trustProxy(env),
  };
}

function trustProxy(env: Env): TrafficConfig['trustProxy'] {
  const raw = env.HTTP_TRUST_PROXY?.trim();
  if (!raw) return false;
  if (['on', 'true'].includes(raw.toLowerCase())) return true;
  if (['off', 'false'].includes(raw.toLowerCase())) return false;
  if (/^\d+$/.test(raw)) return integer(env, 'HTTP_TRUST_PROXY', 0, 1, 64);
  const ok = raw.split(',').every((part) => /^[0-9A-Fa-f.:]+(\/\d{1,3})?$/.test(part.trim()));
  if (!ok) {
    throw new ConfigError(
      'HTTP_TRUST_PROXY',
      `must be on, off, a hop count, or comma-separated addresses/CIDRs, got ${JSON.stringify(raw)}`,
    );
  }
  return raw;
}
