/**
 * rate-limit.retry-after — a 429 carries `Retry-After` (and, when present,
 * well-formed RateLimit fields); rate-limit.recovers — waiting that long
 * works. The checker bursts one cheap GET (a bounded number of requests) to
 * find the limit; a target that never limits within it is skipped, saying so.
 */
import { type Response, retryAfterS } from '../client.ts';

export { retryAfterS } from '../client.ts';

import { type CheckContext, reporterFor } from '../context.ts';
import { buildRequest, NotApplicable } from '../requests.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function rateLimitFieldsOk(headers: Record<string, string>): string | undefined {
  for (const name of ['ratelimit-limit', 'ratelimit-remaining', 'ratelimit-reset', 'x-ratelimit-remaining'])
    if (headers[name] !== undefined && !/^\d+$/.test(headers[name].trim()))
      return `${name}: ${headers[name]}`;
  const structured = headers.ratelimit;
  if (structured !== undefined && !/\br=\d+/.test(structured) && !/\bremaining=\d+/.test(structured))
    return `RateLimit: ${structured}`;
  return undefined;
}

export async function runRateLimitChecks(ctx: CheckContext, burst = 60, maxWaitS = 10): Promise<void> {
  const op = ctx.operations.find((o) => o.method === 'GET' && o.pathParams.length === 0);
  const report = reporterFor(ctx, 'rate-limit', op?.id ?? '*');
  if (!op) return report('retry-after', 'skipped', 'no GET operation to burst');
  let request: Awaited<ReturnType<typeof buildRequest>>;
  try {
    request = await buildRequest(ctx, op);
  } catch (error) {
    if (!(error instanceof NotApplicable)) throw error;
    return report('retry-after', 'skipped', error.message);
  }
  let limited: Response | undefined = ctx.seen.find((s) => s.response.status === 429)?.response;
  for (let sent = 0; !limited && sent < burst; sent += 10) {
    const answers = await Promise.all(
      Array.from({ length: 10 }, () => ctx.client.send({ ...request, pace: false })),
    );
    limited = answers.find((a) => a.status === 429);
  }
  if (!limited)
    return report(
      'retry-after',
      'skipped',
      `the target did not rate-limit within ${burst} requests to ${op.id}`,
    );
  ctx.seen.push({ operation: op.id, response: limited });
  const waitS = retryAfterS(limited.headers['retry-after']);
  const badField = rateLimitFieldsOk(limited.headers);
  report(
    'retry-after',
    waitS !== undefined && !badField ? 'passed' : 'failed',
    waitS === undefined
      ? `429 without a valid Retry-After (${limited.headers['retry-after'] ?? 'absent'})`
      : badField
        ? `429 with a malformed rate-limit field ${badField}`
        : `429 with Retry-After ${waitS} s`,
    [limited.exchange],
  );
  if (waitS === undefined) return;
  if (waitS > maxWaitS)
    return report(
      'recovers',
      'skipped',
      `Retry-After ${waitS} s is longer than the checker waits (${maxWaitS} s)`,
    );
  await sleep(waitS * 1000 + 100);
  const after = await ctx.client.send({ ...request, pace: false });
  report(
    'recovers',
    after.status !== 429 ? 'passed' : 'failed',
    `after waiting ${waitS} s → ${after.status}`,
    [limited.exchange, after.exchange],
  );
}
