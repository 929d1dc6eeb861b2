/** Run the selected check groups against a target; the result is a report. */

import { runConcurrencyChecks } from './checks/concurrency.ts';
import { runContractChecks } from './checks/contract.ts';
import { runIdempotencyChecks } from './checks/idempotency.ts';
import { runLoadCheck } from './checks/load.ts';
import { runProblemChecks } from './checks/problems.ts';
import { type Client, createClient } from './client.ts';
import { createContext } from './context.ts';
import { createOpenApiValidator } from './openapi-validator.ts';
import { type Report, summarize } from './report.ts';
import { listOperations, readSpec, resolveSpec } from './spec.ts';

export const GROUPS = ['contract', 'problems', 'idempotency', 'concurrency', 'load'] as const;
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
  onProgress?: (done: number, sent: number) => void;
}

export async function runChecks(
  options: CheckOptions,
): Promise<Report & { requestsByGroup: Record<string, number> }> {
  const started = Date.now();
  const written = await readSpec(options.openapi ?? new URL('/openapi.json', options.baseUrl).toString());
  const doc = resolveSpec(written);
  const client: Client = createClient({
    baseUrl: options.baseUrl,
    apiKey: options.apiKey,
    maxRequests: options.maxRequests ?? 5000,
  });
  const ctx = createContext(
    client,
    listOperations(doc),
    createOpenApiValidator(written),
    options.seed ?? 1,
    options.otherApiKey,
  );
  const only = new Set(options.only ?? GROUPS);
  const requestsByGroup: Record<string, number> = {};
  const step = async (group: Group, work: () => Promise<void> | void) => {
    if (!only.has(group)) return;
    const before = client.sent();
    try {
      await work();
    } catch (error) {
      if ((error as Error).name !== 'BudgetExceeded') throw error;
      ctx.report({
        id: `${group}.budget`,
        group,
        operation: '*',
        status: 'skipped',
        detail: (error as Error).message,
      });
    }
    requestsByGroup[group] = client.sent() - before;
    options.onProgress?.(ctx.results.length, client.sent());
  };
  // contract runs first: its answers feed the problem-format check
  if (only.has('problems') && !only.has('contract')) only.add('contract');
  await step('contract', () => runContractChecks(ctx));
  await step('idempotency', () => runIdempotencyChecks(ctx));
  await step('concurrency', () => runConcurrencyChecks(ctx));
  if (options.load)
    await step('load', () => runLoadCheck(ctx, options.load as NonNullable<CheckOptions['load']>));
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
  };
}
