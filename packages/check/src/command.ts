/**
 * The steadfast-check command line: parse the options (see USAGE), run the
 * checks, print the report, write JSON/JUnit files. Bad input exits 2 with
 * one line on stderr (a usage mistake ends with a hint to --help); --help and
 * --version do nothing else. The same command runs as `steadfast check`.
 */
import fs from 'node:fs';
import { parseArgs } from 'node:util';
import { toJson, toJunit, toTerminal } from './report.ts';
import { GROUPS, type Group, runChecks } from './run.ts';
import { SpecError } from './spec.ts';

/** the help text, naming the command as the user typed it (`steadfast-check` or `steadfast check`) */
export function renderUsage(program = 'steadfast-check'): string {
  return `Usage: ${program} <base-url> [options]

Tests a running HTTP API against its OpenAPI 3.0/3.1 document (JSON): documented
answers, problem details, idempotency keys, optimistic concurrency, load.

Options:
  --openapi <url|file>     the OpenAPI document (default: <base-url>/openapi.json)
  --api-key <key>          sent as "Authorization: Bearer <key>" (default: $STEADFAST_CHECK_API_KEY)
  --other-api-key <key>    a second tenant's key, for the tenant-scope check (skipped without it)
  --only <groups>          comma-separated groups: ${GROUPS.join(',')} (default: all; load needs --load-rps)
  --seed <n>               seed for generated requests; the same seed sends the same requests (default: 1)
  --max-requests <n>       request budget; checks beyond it are skipped (default: 5000)
  --load-rps <n>           run the load check at n requests/s on GET operations (off unless given)
  --load-duration <s>      how long the load check runs, in seconds (default: 10)
  --p99-ms <n>             the load check fails above this p99 latency in ms (default: 500)
  --json <file>            also write the report as JSON (API keys redacted)
  --junit <file>           also write the report as JUnit XML, for CI test reports
  -h, --help               print this help and exit
  -v, --version            print the version and exit

Exit codes:
  0  every check passed or was skipped
  1  at least one check failed
  2  bad usage or configuration: no/invalid URL, target unreachable, no usable OpenAPI document
`;
}

export const USAGE = renderUsage();

/** the version in this package's own package.json (the same path from src/ and dist/) */
export function version(): string {
  const pkg = JSON.parse(fs.readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
  return String(pkg.version);
}

/** exit 2 with one line on stderr; `hint` adds where the usage is explained */
function refuse(program: string, message: string, hint = false): number {
  const line = message.split('\n')[0];
  process.stderr.write(`${program}: ${line}${hint ? `; run "${program} --help"` : ''}\n`);
  return 2;
}

function positiveInt(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || Number(value) <= 0) throw new Error(`${name} must be a positive integer`);
  return Number(value);
}

export interface RunCheckEnvironment {
  /** the key sent when --api-key is not given; a function is called only when the checks run */
  apiKey?: string | (() => string | undefined | Promise<string | undefined>);
  /** the command's name in messages and help (default steadfast-check) */
  program?: string;
}

export async function runCheck(argv: string[], env: RunCheckEnvironment): Promise<number> {
  const program = env.program ?? 'steadfast-check';
  const usage = (message: string) => refuse(program, message, true);
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean', short: 'v' },
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
    return usage((error as Error).message.split('. ')[0]);
  }
  const { positionals, values } = parsed as {
    positionals: string[];
    values: Record<string, string | undefined> & { help?: boolean; version?: boolean };
  };
  if (values.help) {
    process.stdout.write(renderUsage(program));
    return 0;
  }
  if (values.version) {
    process.stdout.write(`${version()}\n`);
    return 0;
  }
  const [baseUrl, ...extra] = positionals;
  if (!baseUrl) return usage(`give the API base URL, e.g. ${program} http://127.0.0.1:3000`);
  if (!/^https?:\/\/[^/]+/.test(baseUrl) || !URL.canParse(baseUrl))
    return usage(`${baseUrl} is not an http(s) URL, e.g. http://127.0.0.1:3000`);
  if (extra.length) return usage(`one base URL only; unexpected ${extra.join(' ')}`);
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
  // read only now: --help, --version and usage errors never evaluate it
  const apiKey = values['api-key'] ?? (typeof env.apiKey === 'function' ? await env.apiKey() : env.apiKey);
  let report: Awaited<ReturnType<typeof runChecks>>;
  try {
    report = await runChecks({
      baseUrl,
      openapi: values.openapi,
      apiKey,
      otherApiKey: values['other-api-key'],
      only,
      seed,
      maxRequests,
      load,
      onProgress: progress,
    });
  } catch (error) {
    if (error instanceof SpecError) return refuse(program, error.message);
    if (/fetch failed|ECONNREFUSED|ECONNRESET|ENOTFOUND/.test((error as Error).message))
      return refuse(program, `cannot reach ${baseUrl}`);
    throw error;
  }
  if (progress) process.stderr.write('\n');
  process.stdout.write(`${toTerminal(report)}\n`);
  if (values.json) fs.writeFileSync(values.json, toJson(report));
  if (values.junit) fs.writeFileSync(values.junit, toJunit(report));
  return report.summary.failed > 0 ? 1 : 0;
}
