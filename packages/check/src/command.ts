/**
 * steadfast-check <baseUrl> [--openapi <url|file>] [--api-key <key>] [--other-api-key <key>]
 *   [--only contract,problems,idempotency,concurrency,load] [--seed <n>] [--json <file>] [--junit <file>]
 *   [--max-requests <n>] [--load-rps <n> --load-duration <s> --p99-ms <n>]
 * Exit 0: every check passed or was skipped; 1: a check failed; 2: usage or configuration error.
 */
import fs from 'node:fs';
import { parseArgs } from 'node:util';
import { toJson, toJunit, toTerminal } from './report.ts';
import { GROUPS, type Group, runChecks } from './run.ts';
import { SpecError } from './spec.ts';

function usage(message: string): number {
  process.stderr.write(`steadfast-check: ${message}\n`);
  return 2;
}

function positiveInt(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || Number(value) <= 0) throw new Error(`${name} must be a positive integer`);
  return Number(value);
}

export async function runCheck(argv: string[], env: { apiKey?: string }): Promise<number> {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        openapi: { type: 'string' },
        'api-key': { type: 'string' },
        'other-api-key': { type: 'string' },
        only: { type: 'string' },
        seed: { type: 'string' },
        json: { type: 'string' },
        junit: { type: 'string' },
        'max-requests': { type: 'string' },
        'load-rps': { type: 'string' },
        'load-duration': { type: 'string' },
        'p99-ms': { type: 'string' },
      },
    });
  } catch (error) {
    return usage((error as Error).message);
  }
  const { positionals, values } = parsed as {
    positionals: string[];
    values: Record<string, string | undefined>;
  };
  const [baseUrl] = positionals;
  if (!baseUrl || !/^https?:\/\/[^/]+/.test(baseUrl))
    return usage('give the API base URL, e.g. steadfast-check http://127.0.0.1:3000');
  let only: Group[] | undefined;
  let seed: number | undefined;
  let maxRequests: number | undefined;
  let load: { rps: number; durationS: number; p99Ms: number } | undefined;
  try {
    if (values.only) {
      only = values.only.split(',').map((g) => g.trim()) as Group[];
      const unknown = only.filter((g) => !GROUPS.includes(g));
      if (unknown.length)
        throw new Error(`unknown check group(s): ${unknown.join(', ')} (known: ${GROUPS.join(', ')})`);
    }
    seed = values.seed === undefined ? undefined : Number.parseInt(values.seed, 10);
    if (seed !== undefined && Number.isNaN(seed)) throw new Error('--seed must be a number');
    maxRequests = positiveInt(values['max-requests'], '--max-requests');
    const rps = positiveInt(values['load-rps'], '--load-rps');
    if (rps)
      load = {
        rps,
        durationS: positiveInt(values['load-duration'], '--load-duration') ?? 10,
        p99Ms: positiveInt(values['p99-ms'], '--p99-ms') ?? 500,
      };
  } catch (error) {
    return usage((error as Error).message);
  }
  const progress = process.stderr.isTTY
    ? (done: number, sent: number) =>
        process.stderr.write(`\r  checks done: ${done}, requests sent: ${sent}   `)
    : undefined;
  let report: Awaited<ReturnType<typeof runChecks>>;
  try {
    report = await runChecks({
      baseUrl,
      openapi: values.openapi,
      apiKey: values['api-key'] ?? env.apiKey,
      otherApiKey: values['other-api-key'],
      only,
      seed,
      maxRequests,
      load,
      onProgress: progress,
    });
  } catch (error) {
    if (error instanceof SpecError) return usage(error.message);
    if (/fetch failed|ECONNREFUSED/.test((error as Error).message)) return usage(`cannot reach ${baseUrl}`);
    throw error;
  }
  if (progress) process.stderr.write('\n');
  process.stdout.write(`${toTerminal(report)}\n`);
  if (values.json) fs.writeFileSync(values.json, toJson(report));
  if (values.junit) fs.writeFileSync(values.junit, toJunit(report));
  return report.summary.failed > 0 ? 1 : 0;
}
