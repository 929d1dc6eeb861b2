/**
 * The steadfast-check command line: parse the options (see USAGE), run the
 * checks, print the report, write JSON/JUnit files. Bad input exits 2 with
 * one line on stderr (a usage mistake ends with a hint to --help); --help and
 * --version do nothing else. The same command runs as `steadfast check`.
 */
import fs from 'node:fs';
import { parseArgs } from 'node:util';
import { type FaultProxySpec, parseFaultProxyFlag } from './fault-proxy/index.ts';
import { toJson, toJunit, toTerminal } from './report.ts';
import { toHtml } from './report-html.ts';
import { GROUPS, type Group, runChecks } from './run.ts';
import { SpecError } from './spec.ts';

/** the help text, naming the command as the user typed it (`steadfast-check` or `steadfast check`) */
export function renderUsage(program = 'steadfast-check'): string {
  return `Usage: ${program} <base-url> [options]
       ${program} webhooks <receiver-url> --secret <whsec_secret> [options]   (see "${program} webhooks --help")
       ${program} diff <old-openapi> <new-openapi> [--json]   (breaking changes; see "${program} diff --help")

Tests a running HTTP API against its OpenAPI 3.0/3.1 document (JSON or YAML):
documented answers, problem details, auth, idempotency keys, optimistic
concurrency, stateful sequences, long-running operations, rate limits, load,
and (with --fault-proxy) how it behaves when its own dependencies fail.

Options:
  --openapi <url|file>     the OpenAPI document, JSON or YAML (default: <base-url>/openapi.json, fetched with the API key)
  --api-key <key>          sent as "Authorization: Bearer <key>" (default: $STEADFAST_CHECK_API_KEY)
  --other-api-key <key>    a second tenant's key, for the tenant-scope check (skipped without it)
  --only <groups>          comma-separated groups: ${GROUPS.join(',')}
                           (default: all; load needs --load-rps, faults needs --fault-proxy)
  --seed <n>               seed for generated requests; the same seed sends the same requests (default: 1)
  --max-requests <n>       request budget; checks beyond it are skipped (default: 5000)
  --require-key            an Idempotency-Key the document marks optional must still be required (a failure, not a warning)
  --lro-timeout <s>        how long a long-running operation may take to reach a terminal state (default: 30)
  --load-rps <n>           run the load check at n requests/s on GETs and idempotent POSTs (off unless given)
  --load-duration <s>      how long the load check runs, in seconds (default: 10)
  --p99-ms <n>             the load check fails above this p99 latency in ms (default: 500)
  --fault-proxy <name>=<listen-port>:<upstream-url>
                           run a fault-injecting proxy for one dependency of the target (repeatable); start
                           the target with that dependency's URL at http://127.0.0.1:<listen-port>
  --max-latency <ms>       the faults checks' bound on the target's answer time (default: 2 x healthy p99 + timeout)
  --max-amplification <x>  the faults checks' bound on calls to a failing dependency per request (default: 1.5)
  --json <file>            also write the report as JSON (API keys redacted)
  --junit <file>           also write the report as JUnit XML, for CI test reports
  --html <file>            also write the report as one self-contained HTML page
  --fail-on-skip           exit 1 when any check was skipped
  -v, --verbose            also show the evidence of passed checks
  -h, --help               print this help and exit
  --version                print the version and exit

Exit codes:
  0  every check passed, was skipped (unless --fail-on-skip) or warned
  1  at least one check failed, including target.unavailable (the target stopped answering mid-run)
  2  bad usage or configuration: no/invalid URL, target unreachable, no usable OpenAPI document,
     an unknown --only group, a bad --fault-proxy pair
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
  if (argv[0] === 'webhooks') {
    const { runWebhooksCommand } = await import('./webhooks/command.ts');
    return runWebhooksCommand(argv.slice(1), program);
  }
  if (argv[0] === 'diff') {
    const { runDiffCommand } = await import('./diff/command.ts');
    return runDiffCommand(argv.slice(1), program);
  }
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean' },
        verbose: { type: 'boolean', short: 'v' },
        'require-key': { type: 'boolean' },
        'fail-on-skip': { type: 'boolean' },
        'fault-proxy': { type: 'string', multiple: true },
        'max-latency': { type: 'string' },
        'max-amplification': { type: 'string' },
        'lro-timeout': { type: 'string' },
        html: { type: 'string' },
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
    values: Record<string, string | undefined> & {
      help?: boolean;
      version?: boolean;
      verbose?: boolean;
      'require-key'?: boolean;
      'fail-on-skip'?: boolean;
      'fault-proxy'?: string[];
    };
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
  let faultProxies: FaultProxySpec[] = [];
  let maxAmplification: number | undefined;
  try {
    faultProxies = (values['fault-proxy'] ?? []).map(parseFaultProxyFlag);
    if (values['max-amplification'] !== undefined) {
      maxAmplification = Number(values['max-amplification']);
      if (!(maxAmplification >= 1)) throw new Error('--max-amplification must be a number >= 1');
    }
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
  let maxLatencyMs: number | undefined;
  let lroTimeoutS: number | undefined;
  try {
    maxLatencyMs = positiveInt(values['max-latency'], '--max-latency');
    lroTimeoutS = positiveInt(values['lro-timeout'], '--lro-timeout');
  } catch (error) {
    return usage((error as Error).message);
  }
  let shownAt = 0;
  const progress = process.stderr.isTTY
    ? (done: number, sent: number, result?: { id: string }) => {
        if (Date.now() - shownAt < 150) return;
        shownAt = Date.now();
        process.stderr.write(
          `\r\x1b[K  checks done: ${done}, requests sent: ${sent}${result ? `, last: ${result.id}` : ''}`,
        );
      }
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
      requireKey: values['require-key'],
      lroTimeoutMs: lroTimeoutS === undefined ? undefined : lroTimeoutS * 1000,
      faultProxies,
      maxLatencyMs,
      maxAmplification,
      onProgress: progress,
    });
  } catch (error) {
    if (error instanceof SpecError) return refuse(program, error.message);
    if (/fetch failed|ECONNREFUSED|ECONNRESET|ENOTFOUND/.test((error as Error).message))
      return refuse(program, `cannot reach ${baseUrl}`);
    throw error;
  }
  if (progress) process.stderr.write('\r\x1b[K');
  process.stdout.write(`${toTerminal(report, { verbose: values.verbose })}\n`);
  if (values.json) fs.writeFileSync(values.json, toJson(report));
  if (values.junit) fs.writeFileSync(values.junit, toJunit(report));
  if (values.html) fs.writeFileSync(values.html, toHtml(report));
  if (report.summary.failed > 0) return 1;
  return values['fail-on-skip'] && report.summary.skipped > 0 ? 1 : 0;
}
