/** Run the selected check groups against a target; the result is a report. */

import { runAuthChecks } from './checks/auth.ts';
import { runConcurrencyChecks } from './checks/concurrency.ts';
import { runContractChecks } from './checks/contract.ts';
import { runIdempotencyChecks } from './checks/idempotency.ts';
import { runLoadCheck } from './checks/load.ts';
import { runLroChecks } from './checks/lro.ts';
import { runProblemChecks } from './checks/problems.ts';
import { runRateLimitChecks } from './checks/rate-limit.ts';
import { runSequenceChecks } from './checks/sequences.ts';
import { type Client, createClient, isUnreachable } from './client.ts';
import { type CheckResult, createContext } from './context.ts';
import { type FaultProxySpec, runFaultChecks } from './fault-proxy/index.ts';
import { createOpenApiValidator } from './openapi-validator.ts';
import { type Report, summarize } from './report.ts';
import { listOperations, readSpec, resolveSpec, SpecError } from './spec.ts';

export const GROUPS = [
  'contract',
  'problems',
  'auth',
  'idempotency',
  'concurrency',
  'sequence',
  'lro',
  'rate-limit',
  'load',
  'faults',
] as const;
export type Group = (typeof GROUPS)[number];

export interface CheckOptions {
  baseUrl: string;
  openapi?: string;
  apiKey?: string;
  otherApiKey?: string;
  only?: Group[];
  seed?: number;
  maxRequests?: number;
  load?: { rps: number; durationS: number; p99Ms: number };
  /** "key not required" fails instead of warning */
  requireKey?: boolean;
  /** how long a long-running operation may take (default 30 s) */
  lroTimeoutMs?: number;
  /** fault-injection proxies in front of the target's dependencies (the `faults` group) */
  faultProxies?: FaultProxySpec[];
  maxLatencyMs?: number;
  maxAmplification?: number;
  /** after every check: checks done, requests sent, the check */
  onProgress?: (done: number, sent: number, result?: CheckResult) => void;
}

export async function runChecks(
  options: CheckOptions,
): Promise<
  Report & { requestsByGroup: Record<string, number>; paced: { requests: number; waitedS: number } }
> {
  const started = Date.now();
  const specUrl = options.openapi ?? new URL('/openapi.json', options.baseUrl).toString();
  // the document is fetched with the same credentials as every other request
  const written = await readSpec(specUrl, fetch, { apiKey: options.apiKey });
  const doc = resolveSpec(written);
  const locations: string[] = [];
  let answered = 0;
  const base = new URL(options.baseUrl);
  const client: Client = createClient({
    baseUrl: options.baseUrl,
    apiKey: options.apiKey,
    otherApiKey: options.otherApiKey,
    maxRequests: options.maxRequests ?? 5000,
    onExchange: (exchange) => {
      answered++;
      const location = 'status' in exchange.response ? exchange.response.headers.location : undefined;
      if (!location || !URL.canParse(location, base.href)) return;
      const url = new URL(location, base);
      if (url.origin === base.origin) locations.push(url.pathname);
    },
  });
  const seed = options.seed ?? 1;
  const ctx = createContext(
    client,
    listOperations(doc),
    createOpenApiValidator(written),
    seed,
    options.otherApiKey,
    {
      requireKey: options.requireKey,
      lroTimeoutMs: options.lroTimeoutMs,
      onReport: (result) => options.onProgress?.(ctx.results.length, client.sent(), result),
    },
  );
  ctx.locations = locations;
  const only = new Set<Group>(
    options.only ?? GROUPS.filter((g) => g !== 'faults' || options.faultProxies?.length),
  );
  // contract runs first: its answers feed the problem-format check
  if (only.has('problems') && !only.has('contract')) only.add('contract');
  const requestsByGroup: Record<string, number> = {};
  let unavailable = false;
  const step = async (group: Group, work: () => Promise<void> | void) => {
    if (!only.has(group) || unavailable) return;
    const before = client.sent();
    const reported = ctx.results.length;
    try {
      await work();
      if (ctx.results.length === reported)
        ctx.report({
          id: `${group}.none`,
          group,
          operation: '*',
          status: 'skipped',
          detail: 'no operation in the document this group applies to',
        });
    } catch (error) {
      const exchange = (error as { exchange?: CheckResult['evidence'][number] }).exchange;
      if ((error as Error).name === 'BudgetExceeded')
        ctx.report({
          id: `${group}.budget`,
          group,
          operation: '*',
          status: 'skipped',
          detail: (error as Error).message,
        });
      else if ((error as Error).name === 'NotApplicable')
        // a check that could not build its request (no resource to use): the rest of the group is skipped,
        // the run goes on — never an exit 2 that looks like a configuration error
        ctx.report({
          id: `${group}.incomplete`,
          group,
          operation: '*',
          status: 'skipped',
          detail: `the ${group} checks stopped early: ${(error as Error).message}`,
        });
      else if (exchange && isUnreachable((error as Error).cause ?? error) && answered === 0)
        throw new SpecError(`cannot reach ${options.baseUrl} (${(error as Error).message})`);
      else if (exchange && isUnreachable((error as Error).cause ?? error)) {
        // the target stopped answering: a finding, not a configuration error; the report is still written
        unavailable = true;
        ctx.report({
          id: 'target.unavailable',
          group: 'target',
          operation: `${exchange.request.method} ${new URL(exchange.request.url).pathname}`,
          status: 'failed',
          detail: `the target stopped answering during the ${group} checks (${(error as Error).message}); the checks after it did not run`,
          evidence: [exchange],
        });
      } else throw error;
    }
    requestsByGroup[group] = (requestsByGroup[group] ?? 0) + client.sent() - before;
    options.onProgress?.(ctx.results.length, client.sent());
  };
  await step('contract', () => runContractChecks(ctx));
  await step('auth', () => runAuthChecks(ctx));
  await step('idempotency', () => runIdempotencyChecks(ctx));
  await step('concurrency', () => runConcurrencyChecks(ctx));
  await step('sequence', () => runSequenceChecks(ctx));
  await step('lro', () => runLroChecks(ctx));
  await step('rate-limit', () => runRateLimitChecks(ctx));
  if (options.load)
    await step('load', () => runLoadCheck(ctx, options.load as NonNullable<CheckOptions['load']>));
  else if (options.only?.includes('load'))
    ctx.report({
      id: 'load.latency',
      group: 'load',
      operation: '*',
      status: 'skipped',
      detail: 'needs --load-rps',
    });
  if (options.faultProxies?.length)
    await step('faults', () =>
      runFaultChecks(ctx, options.faultProxies as FaultProxySpec[], {
        seed,
        maxLatencyMs: options.maxLatencyMs,
        maxAmplification: options.maxAmplification,
      }),
    );
  else if (options.only?.includes('faults'))
    ctx.report({
      id: 'faults.proxy',
      group: 'faults',
      operation: '*',
      status: 'skipped',
      detail: 'needs --fault-proxy <name>=<port>:<upstream>',
    });
  await step('problems', () => runProblemChecks(ctx));
  const checks =
    options.only && !options.only.includes('contract')
      ? ctx.results.filter((r) => r.group !== 'contract')
      : ctx.results;
  return {
    target: options.baseUrl,
    startedAt: new Date(started).toISOString(),
    durationMs: Date.now() - started,
    checks,
    summary: summarize(checks),
    requestsByGroup,
    paced: client.paced(),
  };
}
