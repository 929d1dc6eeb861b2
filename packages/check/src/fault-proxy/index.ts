/**
 * Fault-injection mode: `--fault-proxy <name>=<listen-port>:<upstream-url>`.
 * One proxy per dependency; the target was started with that dependency's URL
 * pointing at the proxy. The checker finds which of the document's writes
 * reach each dependency, measures them healthy, then injects the seeded
 * schedule of faults and a sustained outage, and reports the `faults` checks.
 * How and why: docs/checker/fault-proxy.md.
 */
import type { Response } from '../client.ts';
import type { CheckContext, CheckStatus } from '../context.ts';
import {
  discoverRoutes,
  finalRequest,
  followOperation,
  prepare,
  type Route,
  routeName,
  sendWithin,
} from './drive.ts';
import { type FaultProxy, startFaultProxy, WRITE_METHODS } from './proxy.ts';
import { type Run, type RunTiming, runUnderFault, settle } from './runs.ts';
import { buildFaultSchedule } from './schedule.ts';
import * as verdict from './verdicts.ts';

export type Context = CheckContext;
export { buildFaultSchedule } from './schedule.ts';

export interface FaultProxySpec {
  name: string;
  listenPort: number;
  upstream: string;
}

export interface FaultCheckOptions {
  /** a target answer slower than this under faults fails (default: 2 × healthy p99 + documentedTimeoutMs) */
  maxLatencyMs?: number;
  /** calls to a dependency in an outage ÷ what the same requests send healthy (default 1.5) */
  maxAmplification?: number;
  seed: number;
  /** the target's own timeout toward its dependencies, when known (default 5000 ms) */
  documentedTimeoutMs?: number;
  /** requests fired during the sustained outage (default 12) */
  outageRequests?: number;
  /** how long the breaker may take to let traffic through after the outage (default 30 s) */
  recoveryMs?: number;
  /** how long a failed request is retried with the same key once the dependency recovered (default 15 s) */
  retryMs?: number;
  /** the dependency is quiet after this long without a call (default 300 ms; tests shorten it) */
  quietMs?: number;
}

export const FAULT_CHECKS = [
  'bounded-latency',
  'problem-format',
  'no-raw-500',
  'failure-not-replayed',
  'outbound-key',
  'at-most-once',
  'amplification',
  'breaker-recovers',
] as const;

/** Parses `<name>=<listen-port>:<upstream-url>`; throws an Error with a one-line message on a bad pair. */
export function parseFaultProxyFlag(value: string): FaultProxySpec {
  const match = /^([A-Za-z][\w-]*)=(\d{1,5}):(.+)$/.exec(value);
  if (!match) throw new Error(`bad --fault-proxy "${value}": expected <name>=<listen-port>:<upstream-url>`);
  const [, name, port, upstream] = match as unknown as [string, string, string, string];
  const listenPort = Number(port);
  if (listenPort < 1 || listenPort > 65535)
    throw new Error(`bad --fault-proxy "${value}": the listen port must be 1-65535`);
  let url: URL;
  try {
    url = new URL(upstream);
  } catch {
    throw new Error(`bad --fault-proxy "${value}": the upstream is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new Error(`bad --fault-proxy "${value}": the upstream must be http(s)`);
  return { name, listenPort, upstream };
}

function p99(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * 0.99) - 1)] ?? 0;
}

const timingFor = (options: FaultCheckOptions): RunTiming => ({
  waitMs: 30_000,
  quietMs: options.quietMs ?? 200,
  settleMs: 3000,
  recoverMs: options.retryMs ?? 15_000,
});

type Probe = NonNullable<Awaited<ReturnType<typeof probe>>>;

/** Healthy run of a route: latency and the calls each proxy got in its window. */
async function probe(ctx: CheckContext, route: Route, proxies: FaultProxy[], timing: RunTiming) {
  const id = await prepare(ctx, route);
  if (id === undefined) return undefined;
  await settle(proxies, timing.quietMs, timing.settleMs);
  const from = Date.now();
  const fired = await sendWithin(ctx, finalRequest(ctx, route, id), timing.waitMs);
  await followOperation(ctx, fired, timing.recoverMs);
  await settle(proxies, timing.quietMs, timing.settleMs);
  const to = Date.now();
  return { fired, calls: new Map(proxies.map((p) => [p, p.callsBetween(from, to)])) };
}

async function checkDependency(
  ctx: CheckContext,
  proxy: FaultProxy,
  spec: FaultProxySpec,
  proxies: FaultProxy[],
  probes: Map<Route, Probe | undefined>,
  options: FaultCheckOptions,
) {
  const report = (
    id: string,
    status: CheckStatus,
    detail: string,
    evidence: verdict.Verdict['evidence'] = [],
  ) => ctx.report({ id: `faults.${id}`, group: 'faults', operation: spec.name, status, detail, evidence });
  const timing: RunTiming = {
    ...timingFor(options),
  };
  // which routes reach this dependency, and what they cost it when healthy
  const mine: { route: Route; latencies: number[]; calls: number[]; writes: number }[] = [];
  for (const [route, healthy] of probes) {
    const calls = healthy?.calls.get(proxy) ?? [];
    if (!healthy?.fired.response || healthy.fired.response.status >= 300 || !calls.length) continue;
    mine.push({
      route,
      latencies: [healthy.fired.latencyMs],
      calls: [calls.length],
      writes: calls.filter((c) => WRITE_METHODS.has(c.method)).length,
    });
  }
  if (!mine.length) {
    // what the healthy runs got, so a skip on a target that does call the dependency can be told apart
    const seen = [...probes]
      .map(([route, healthy]) => {
        const response = healthy?.fired.response;
        const type = (response?.json as { type?: unknown } | undefined)?.type;
        const answer = healthy
          ? response
            ? `${response.status}${typeof type === 'string' ? ` ${type}` : ''}`
            : (healthy.fired.error ?? 'no answer')
          : 'could not be prepared';
        return `${routeName(route)} → ${answer}, ${healthy?.calls.get(proxy)?.length ?? 0} call(s)`;
      })
      .join('; ');
    for (const id of FAULT_CHECKS)
      report(
        id,
        'skipped',
        `no operation of the document reached ${spec.name} through its proxy on 127.0.0.1:${spec.listenPort} (does the target call it there?); healthy runs: ${seen || 'none'}`,
      );
    return;
  }
  // at most two routes per dependency: the one with most writes, and the first other
  mine.sort((a, b) => b.writes - a.writes);
  const chosen = mine.slice(0, 2);
  for (const m of chosen)
    for (let i = 0; i < 3; i++) {
      const healthy = await probe(ctx, m.route, proxies, timing);
      if (!healthy?.fired.response) continue;
      m.latencies.push(healthy.fired.latencyMs);
      m.calls.push(healthy.calls.get(proxy)?.length ?? 0);
    }
  const documented = options.documentedTimeoutMs ?? 5000;
  const healthyP99 = p99(chosen.flatMap((m) => m.latencies));
  const maxLatencyMs = options.maxLatencyMs ?? 2 * healthyP99 + documented;
  const how =
    options.maxLatencyMs === undefined
      ? `2 × healthy p99 ${healthyP99} ms + timeout ${documented} ms`
      : '--max-latency';
  timing.waitMs = maxLatencyMs + 1000;
  const runs: Run[] = [];
  for (const phase of buildFaultSchedule(options.seed))
    for (const m of chosen) {
      const run = await runUnderFault(ctx, m.route, proxy, proxies, phase.mode, timing);
      if (run) runs.push(run);
    }
  // a sustained outage on the primary route: amplification, then the breaker's recovery
  const primary = chosen[0] as (typeof chosen)[number];
  const n = options.outageRequests ?? 12;
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const id = await prepare(ctx, primary.route);
    if (id !== undefined) ids.push(id);
  }
  await settle(proxies, timing.quietMs, timing.settleMs);
  const outageFrom = Date.now();
  proxy.setMode({ kind: 'status', status: 503 });
  try {
    for (const id of ids) {
      const fired = await sendWithin(ctx, finalRequest(ctx, primary.route, id), timing.waitMs);
      runs.push({
        route: primary.route,
        mode: { kind: 'status', status: 503 },
        fired,
        retries: [],
        calls: [],
        outage: true,
      });
    }
    await settle(proxies, 3 * timing.quietMs, 10_000);
  } finally {
    proxy.setMode({ kind: 'healthy' });
  }
  const outageCalls = proxy.callsBetween(outageFrom, Date.now()).length;
  const healthyPerRequest = primary.calls.reduce((a, b) => a + b, 0) / primary.calls.length;
  const recoveryMs = options.recoveryMs ?? 30_000;
  const recoverFrom = Date.now();
  let recovered: Run | undefined;
  let last: Run | undefined;
  const refusals: Response[] = [];
  while (!recovered && Date.now() - recoverFrom < recoveryMs) {
    last = await runUnderFault(ctx, primary.route, proxy, proxies, { kind: 'healthy' }, timing, refusals);
    const status = last?.fired.response?.status ?? 599;
    if (last && status < 300 && last.calls.length && last.fired.operationStatus !== 'failed')
      recovered = last;
    else await new Promise((r) => setTimeout(r, 500));
  }
  const info = { name: spec.name, upstream: spec.upstream };
  const routesText = chosen.map((m) => m.route.final.id).join(', ');
  const put = (id: string, v: verdict.Verdict) =>
    report(id, v.status, `${v.detail} [via ${routesText}]`, v.evidence);
  put('bounded-latency', verdict.boundedLatency(runs, maxLatencyMs, how));
  put('problem-format', verdict.problemFormat(runs));
  put('no-raw-500', verdict.noRaw500(runs));
  put('failure-not-replayed', verdict.failureNotReplayed(runs));
  put('outbound-key', verdict.outboundKeys(info, [...runs, ...(last ? [last] : [])]));
  put(
    'at-most-once',
    verdict.atMostOnce(
      info,
      runs.filter((r) => r.mode.kind === 'lost'),
    ),
  );
  put(
    'amplification',
    verdict.amplification(
      info,
      { requests: ids.length, calls: outageCalls, healthyPerRequest },
      options.maxAmplification ?? 1.5,
    ),
  );
  put(
    'breaker-recovers',
    verdict.breakerRecovers(info, recovered, Date.now() - recoverFrom, last, refusals.at(-1)),
  );
}

/** Runs the `faults` checks through one proxy per spec; reports with group 'faults'. */
export async function runFaultChecks(
  ctx: CheckContext,
  specs: FaultProxySpec[],
  options: FaultCheckOptions,
): Promise<void> {
  const proxies: FaultProxy[] = [];
  try {
    for (const spec of specs) {
      try {
        proxies.push(await startFaultProxy({ ...spec }));
      } catch (error) {
        throw new Error(
          `--fault-proxy ${spec.name}: cannot listen on 127.0.0.1:${spec.listenPort} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`,
        );
      }
    }
    // every route once, healthy: which dependencies it reaches (one probe serves every proxy)
    const probes = new Map<Route, Probe | undefined>();
    for (const route of await discoverRoutes(ctx))
      probes.set(route, await probe(ctx, route, proxies, timingFor(options)));
    for (const [i, spec] of specs.entries())
      await checkDependency(ctx, proxies[i] as FaultProxy, spec, proxies, probes, options);
  } finally {
    await Promise.all(proxies.map((p) => p.close()));
  }
}
