/** The `faults` checks, judged from the runs of one dependency: each returns a status, a detail and evidence. */
import type { Exchange, Response } from '../client.ts';
import type { CheckStatus } from '../context.ts';
import { routeName } from './drive.ts';
import { WRITE_METHODS } from './proxy.ts';
import { callEvidence, failed, firedEvidence, type Run } from './runs.ts';
import { describeMode } from './schedule.ts';

export interface Verdict {
  status: CheckStatus;
  detail: string;
  evidence?: Exchange[];
}

type ProxyInfo = { name: string; upstream: string };

const RETRYABLE_STATUS = new Set([429, 502, 503, 504]);

export function boundedLatency(runs: Run[], maxLatencyMs: number, how: string): Verdict {
  const slow = runs.filter((r) => r.fired.error !== undefined || r.fired.latencyMs > maxLatencyMs);
  const worst = Math.max(0, ...runs.map((r) => r.fired.latencyMs));
  if (slow.length)
    return {
      status: 'failed',
      detail: `${slow.length} of ${runs.length} requests got no answer within ${maxLatencyMs} ms (${how}): ${slow
        .slice(0, 3)
        .map((r) => `${describeMode(r.mode)} → ${r.fired.error ?? `${r.fired.latencyMs} ms`}`)
        .join('; ')}`,
      evidence: slow.slice(0, 3).map((r) => firedEvidence(r.fired)),
    };
  return {
    status: 'passed',
    detail: `${runs.length} requests under faults, slowest ${worst} ms ≤ ${maxLatencyMs} ms (${how})`,
  };
}

function problemFault(response: Response): string | undefined {
  const type = (response.headers['content-type'] ?? '').split(';')[0]?.trim();
  const body = response.json as { type?: unknown; status?: unknown; retryable?: unknown } | undefined;
  if (type !== 'application/problem+json')
    return `${response.status} is ${type || 'untyped'}, not problem+json`;
  if (typeof body?.type !== 'string' || body.status !== response.status)
    return `${response.status} problem without type or a matching status`;
  if (body.retryable === false || (body.retryable === undefined && !RETRYABLE_STATUS.has(response.status)))
    return `${response.status} is not retryable (a dependency failure is: 502/503/504/429 or retryable: true)`;
  if (response.status === 503 && !response.headers['retry-after']) return '503 without Retry-After';
  return undefined;
}

export function problemFormat(runs: Run[]): Verdict {
  // a 500 is no-raw-500's to judge
  const errors = runs.flatMap((r) =>
    r.fired.response && r.fired.response.status >= 400 && r.fired.response.status !== 500
      ? [r.fired.response]
      : [],
  );
  if (!errors.length)
    return {
      status: 'skipped',
      detail: 'the target answered no error under the faults (it degraded or retried)',
    };
  const bad = errors.flatMap((response) => {
    const fault = problemFault(response);
    return fault ? [{ response, fault }] : [];
  });
  return bad.length
    ? {
        status: 'failed',
        detail: `${bad.length} of ${errors.length} error answers: ${[...new Set(bad.map((b) => b.fault))].join('; ')}`,
        evidence: bad.slice(0, 3).map((b) => b.response.exchange),
      }
    : {
        status: 'passed',
        detail: `${errors.length} error answers, all retryable problem+json (503s with Retry-After)`,
      };
}

export function noRaw500(runs: Run[]): Verdict {
  const raw = runs.filter((r) => r.fired.response?.status === 500);
  return raw.length
    ? {
        status: 'failed',
        detail: `${raw.length} of ${runs.length} requests answered 500 for a dependency failure (${raw
          .map((r) => describeMode(r.mode))
          .join(', ')}); expected 502/503/504 or a degraded success`,
        evidence: raw.slice(0, 3).map((r) => firedEvidence(r.fired)),
      }
    : { status: 'passed', detail: `no 500 in ${runs.length} requests under faults` };
}

export function failureNotReplayed(runs: Run[]): Verdict {
  const failures = runs.filter(
    (r) => !r.outage && failed(r.fired) && r.fired.request.headers?.['idempotency-key'],
  );
  if (!failures.length)
    return {
      status: 'skipped',
      detail: 'no request failed under the faults, so no failure could be replayed',
    };
  const stuck = failures.filter((r) => (r.retries.at(-1)?.status ?? 599) >= 300);
  if (stuck.length)
    return {
      status: 'failed',
      detail: `${stuck.length} of ${failures.length} failed requests still fail after the dependency recovered, retried with the same key (${stuck
        .map(
          (r) =>
            `${describeMode(r.mode)}: ${r.fired.response?.status ?? r.fired.error} → ${r.retries.map((x) => x.status).join(',') || 'no answer'}${r.retries.at(-1)?.headers['idempotent-replayed'] ? ' replayed' : ''}`,
        )
        .join('; ')})`,
      evidence: stuck
        .flatMap((r) => [firedEvidence(r.fired), ...r.retries.slice(-1).map((x) => x.exchange)])
        .slice(0, 4),
    };
  return {
    status: 'passed',
    detail: `${failures.length} failed requests succeeded when retried with the same key after recovery`,
  };
}

export function outboundKeys(proxy: ProxyInfo, runs: Run[]): Verdict {
  const writes = runs.flatMap((r) => r.calls).filter((c) => WRITE_METHODS.has(c.method) && c.forwarded);
  if (!writes.length) return { status: 'skipped', detail: `the target sent no writes to ${proxy.name}` };
  const bare = writes.filter((c) => !c.idempotencyKey);
  return bare.length
    ? {
        status: 'failed',
        detail: `${bare.length} of ${writes.length} writes to ${proxy.name} carry no Idempotency-Key (${[
          ...new Set(bare.map((c) => `${c.method} ${c.path.split('?')[0]}`)),
        ].join(', ')})`,
        evidence: bare.slice(0, 3).map((c) => callEvidence(proxy, c)),
      }
    : { status: 'passed', detail: `${writes.length} writes to ${proxy.name}, each with an Idempotency-Key` };
}

/** Effects of one run: per outbound route, distinct keys among writes the upstream accepted, plus every keyless one. */
export function effectsOf(run: Run): Map<string, number> {
  const byRoute = new Map<string, { keys: Set<string>; keyless: number }>();
  for (const c of run.calls) {
    if (!WRITE_METHODS.has(c.method) || !c.upstreamStatus || c.upstreamStatus >= 300) continue;
    const route = `${c.method} ${c.path.split('?')[0]}`;
    const entry = byRoute.get(route) ?? { keys: new Set(), keyless: 0 };
    if (c.idempotencyKey) entry.keys.add(c.idempotencyKey);
    else entry.keyless++;
    byRoute.set(route, entry);
  }
  return new Map([...byRoute].map(([route, e]) => [route, e.keys.size + e.keyless]));
}

export function atMostOnce(proxy: ProxyInfo, lost: Run[]): Verdict {
  const withWrites = lost.filter((r) => effectsOf(r).size > 0);
  if (!withWrites.length)
    return { status: 'skipped', detail: `no write to ${proxy.name} reached it while answers were lost` };
  const doubled = withWrites.filter((r) => [...effectsOf(r).values()].some((n) => n > 1));
  return doubled.length
    ? {
        status: 'failed',
        detail: `a lost answer caused more than one effect at ${proxy.name}: ${doubled
          .map((r) => `${routeName(r.route)} → ${[...effectsOf(r)].map(([k, n]) => `${k}: ${n}`).join(', ')}`)
          .join('; ')}`,
        evidence: doubled
          .flatMap((r) =>
            r.calls.filter((c) => WRITE_METHODS.has(c.method)).map((c) => callEvidence(proxy, c)),
          )
          .slice(0, 4),
      }
    : {
        status: 'passed',
        detail: `${withWrites.length} request(s) whose outbound answers were lost, retried until done: one effect each at ${proxy.name}`,
      };
}

export function amplification(
  proxy: ProxyInfo,
  outage: { requests: number; calls: number; healthyPerRequest: number },
  maxAmplification: number,
): Verdict {
  if (!outage.requests || outage.healthyPerRequest === 0)
    return { status: 'skipped', detail: 'no healthy baseline of calls per request' };
  const ratio = outage.calls / (outage.requests * outage.healthyPerRequest);
  const detail = `${outage.requests} requests in an outage sent ${outage.calls} calls to ${proxy.name}; healthy they send ${outage.healthyPerRequest.toFixed(2)} each → ${ratio.toFixed(2)}× (max ${maxAmplification}×)`;
  return { status: ratio <= maxAmplification ? 'passed' : 'failed', detail };
}

export function breakerRecovers(
  proxy: ProxyInfo,
  recovered: Run | undefined,
  waitedMs: number,
  last?: Run,
  refused?: Response,
): Verdict {
  if (recovered)
    return {
      status: 'passed',
      detail: `after the outage, ${proxy.name} got traffic and the target succeeded again within ${waitedMs} ms`,
    };
  return {
    status: 'failed',
    detail: `${waitedMs} ms after the outage ended, the target still ${
      last
        ? last.calls.length
          ? `answers ${last.fired.response?.status ?? last.fired.error}`
          : `sends nothing to ${proxy.name}`
        : 'cannot be driven'
    }`,
    evidence: last ? [firedEvidence(last.fired)] : refused ? [refused.exchange] : [],
  };
}
