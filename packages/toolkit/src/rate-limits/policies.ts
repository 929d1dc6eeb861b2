/**
 * Rate-limit policies: per route class a quota of `limit` units per `windowS`
 * seconds. Class names are the caller's strings (e.g. `writes`, `reads`);
 * they appear in the `RateLimit-Policy` / `RateLimit` header fields, so they
 * are restricted to a safe token alphabet.
 */

export interface RateLimitPolicy {
  /** units admitted per window (a positive integer) */
  limit: number;
  /** the window, in whole seconds (a positive integer) */
  windowS: number;
}

/** route class → its policy, e.g. `{ writes: { limit: 100, windowS: 1 } }` */
export type RateLimitPolicies = Record<string, RateLimitPolicy>;

const CLASS_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

function positiveInteger(value: unknown): boolean {
  return typeof value === 'number' && Number.isInteger(value) && value > 0;
}

/** Throws naming the class when its name, limit or window is unusable. */
export function assertPolicy(className: string, policy: RateLimitPolicy | undefined): void {
  if (!CLASS_NAME.test(className))
    throw new Error(
      `rate limit class ${JSON.stringify(className)}: a name is 1–64 letters, digits, '_', '.' or '-'`,
    );
  if (!policy || !positiveInteger(policy.limit))
    throw new Error(
      `rate limit class ${JSON.stringify(className)}: limit must be a positive integer, got ${JSON.stringify(policy?.limit)}`,
    );
  if (!positiveInteger(policy.windowS))
    throw new Error(
      `rate limit class ${JSON.stringify(className)}: windowS must be a positive integer (seconds), got ${JSON.stringify(policy.windowS)}`,
    );
}

/** A validated copy of the policies; throws naming the first bad class. */
export function validatePolicies(policies: RateLimitPolicies): RateLimitPolicies {
  const names = Object.keys(policies ?? {});
  if (names.length === 0) throw new Error('rate limits: name at least one route class with its policy');
  const copy: RateLimitPolicies = {};
  for (const name of names) {
    assertPolicy(name, policies[name]);
    copy[name] = { limit: policies[name].limit, windowS: policies[name].windowS };
  }
  return copy;
}
