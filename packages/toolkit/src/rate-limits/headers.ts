/**
 * The IETF RateLimit header fields (draft-ietf-httpapi-ratelimit-headers,
 * revisions 08 and later): both are Structured Field lists whose items are
 * the policy name as an sf-string.
 *
 * - `RateLimit-Policy: "writes";q=100;w=1` — quota `q` units per window `w` seconds
 * - `RateLimit: "writes";r=57;t=1` — `r` units remaining, `t` seconds until the quota resets
 */

export interface RateLimitState {
  className: string;
  limit: number;
  windowS: number;
  remaining: number;
  resetS: number;
}

function sfString(value: string): string {
  // class names are tokens (validated by the limiter): escaping is the rare path
  if (!value.includes('"') && !value.includes('\\')) return `"${value}"`;
  return `"${value.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

const nonNegative = (n: number) => Math.max(0, Math.floor(n));

export function formatRateLimitPolicy(
  state: Pick<RateLimitState, 'className' | 'limit' | 'windowS'>,
): string {
  return `${sfString(state.className)};q=${nonNegative(state.limit)};w=${nonNegative(state.windowS)}`;
}

export function formatRateLimit(state: Pick<RateLimitState, 'className' | 'remaining' | 'resetS'>): string {
  return `${sfString(state.className)};r=${nonNegative(state.remaining)};t=${nonNegative(state.resetS)}`;
}

/** Both fields, keyed by their header names. */
export function rateLimitHeaders(state: RateLimitState): {
  'RateLimit-Policy': string;
  RateLimit: string;
} {
  return { 'RateLimit-Policy': formatRateLimitPolicy(state), RateLimit: formatRateLimit(state) };
}
