/**
 * `steadfast-check webhooks <url> --secret whsec_…`: the whole subcommand —
 * its options (see renderWebhooksUsage), the checks, the report. Exit 0 when
 * every check passed or was skipped, 1 when one failed, 2 for bad usage or an
 * unreachable receiver (one line on stderr).
 */
import fs from 'node:fs';
import { parseArgs } from 'node:util';
import type { CheckResult } from '../context.ts';
import { ReceiverUnreachable, runWebhookChecks } from './checks.ts';
import { readTemplate } from './deliveries.ts';
import { validSecret } from './sign.ts';

export function renderWebhooksUsage(program = 'steadfast-check'): string {
  return `Usage: ${program} webhooks <receiver-url> --secret whsec_... [options]

Sends Standard Webhooks deliveries to a receiver and checks that a valid one is
acked fast; forged, tampered, stale (-10 min) and future (+10 min) ones are
refused with a 4xx; a redelivery (same webhook-id) is accepted and processed
once; two signatures in one header (a secret rotation) verify; an older event
delivered after a newer one does not move state backwards.

Options:
  --secret <whsec_...>     the receiver's signing secret (required)
  --template <file>        one JSON event to send instead of the checker's own; "{{subject}}",
                           "{{sequence}}" and "{{marker}}" in its strings are filled in
  --effect-url <url>       a GET URL that shows what the receiver did (e.g. its event log or the
                           state events change); needed by the duplicate and out-of-order checks
  --effect-api-key <key>   sent as "Authorization: Bearer <key>" to the effect URL
                           (default: $STEADFAST_CHECK_API_KEY)
  --max-ack-ms <n>         a valid delivery must be acked within n ms (default: 2000)
  --seed <n>               the same seed sends the same ids and markers (default: 1)
  --json <file>            also write the report as JSON
  -h, --help               print this help and exit

Exit codes:
  0  every check passed or was skipped
  1  at least one check failed
  2  bad usage, or the receiver cannot be reached

Traffic goes to the receiver URL and the effect URL only.
`;
}

export interface CommandIo {
  stdout(text: string): void;
  stderr(text: string): void;
}

const processIo: CommandIo = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
};

function refuse(io: CommandIo, program: string, message: string, hint = false): number {
  io.stderr(
    `${program} webhooks: ${message.split('\n')[0]}${hint ? `; run "${program} webhooks --help"` : ''}\n`,
  );
  return 2;
}

export function renderWebhookReport(checks: CheckResult[], durationMs: number, requests: number): string {
  const lines = ['', 'webhooks'];
  const ordered = [...checks].sort((a, b) => Number(b.status === 'failed') - Number(a.status === 'failed'));
  for (const c of ordered) {
    const mark = c.status === 'passed' ? '✓' : c.status === 'failed' ? '✗' : '-';
    lines.push(`  ${mark} ${c.id.padEnd(26)} ${c.detail}`);
    if (c.status === 'failed')
      for (const e of c.evidence.slice(0, 2)) {
        const r = e.response;
        lines.push(
          `      ${e.request.method} ${e.request.url} webhook-id: ${e.request.headers['webhook-id']} → ${'status' in r ? `${r.status} ${r.body.slice(0, 200)}` : r.error}`,
        );
      }
  }
  const count = (s: string) => checks.filter((c) => c.status === s).length;
  lines.push(
    '',
    `${count('passed')} passed, ${count('failed')} failed, ${count('skipped')} skipped in ${(durationMs / 1000).toFixed(1)} s (${requests} requests)`,
  );
  return lines.join('\n');
}

/** argv is what follows "webhooks"; returns 0 pass, 1 a check failed, 2 bad usage or unreachable. */
export async function runWebhooksCommand(
  argv: string[],
  program: string,
  io: CommandIo = processIo,
): Promise<number> {
  const usage = (message: string) => refuse(io, program, message, true);
  let values: Record<string, string | boolean | undefined>;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        help: { type: 'boolean', short: 'h' },
        secret: { type: 'string' },
        template: { type: 'string' },
        'effect-url': { type: 'string' },
        'effect-api-key': { type: 'string' },
        'max-ack-ms': { type: 'string' },
        seed: { type: 'string' },
        json: { type: 'string' },
      },
    }));
  } catch (error) {
    return usage((error as Error).message.split('. ')[0] as string);
  }
  if (values.help) {
    io.stdout(renderWebhooksUsage(program));
    return 0;
  }
  const [url, ...extra] = positionals;
  const isUrl = (u: string) => /^https?:\/\/[^/]+/.test(u) && URL.canParse(u);
  if (!url)
    return usage(`give the receiver's URL, e.g. ${program} webhooks http://127.0.0.1:3000/webhooks/payments`);
  if (!isUrl(url)) return usage(`${url} is not an http(s) URL`);
  if (extra.length) return usage(`one receiver URL only; unexpected ${extra.join(' ')}`);
  const secret = values.secret as string | undefined;
  if (!secret) return usage('--secret whsec_... is required (the receiver verifies with it)');
  if (!validSecret(secret)) return usage('--secret must be whsec_ followed by base64');
  const effectUrl = values['effect-url'] as string | undefined;
  if (effectUrl !== undefined && !isUrl(effectUrl))
    return usage(`--effect-url ${effectUrl} is not an http(s) URL`);
  const maxAck = values['max-ack-ms'] as string | undefined;
  if (maxAck !== undefined && !/^\d+$/.test(maxAck)) return usage('--max-ack-ms must be a positive integer');
  const seedText = values.seed as string | undefined;
  if (seedText !== undefined && !/^-?\d+$/.test(seedText)) return usage('--seed must be a number');
  let template: unknown;
  if (values.template) {
    try {
      template = readTemplate(values.template as string);
    } catch (error) {
      return refuse(io, program, `--template: ${(error as Error).message}`);
    }
  }
  const started = Date.now();
  let result: Awaited<ReturnType<typeof runWebhookChecks>>;
  try {
    result = await runWebhookChecks({
      url,
      secret,
      template,
      effectUrl,
      effectApiKey: (values['effect-api-key'] as string | undefined) ?? process.env.STEADFAST_CHECK_API_KEY,
      maxAckMs: maxAck === undefined ? undefined : Number(maxAck),
      seed: seedText === undefined ? undefined : Number(seedText),
    });
  } catch (error) {
    if (error instanceof ReceiverUnreachable) return refuse(io, program, error.message);
    if (effectUrl && /effect URL|fetch failed/.test((error as Error).message))
      return refuse(io, program, `cannot read the effect URL ${effectUrl}: ${(error as Error).message}`);
    throw error;
  }
  const durationMs = Date.now() - started;
  io.stdout(`${renderWebhookReport(result.checks, durationMs, result.requests)}\n`);
  if (values.json)
    fs.writeFileSync(
      values.json as string,
      JSON.stringify({ target: url, durationMs, requests: result.requests, checks: result.checks }, null, 2),
    );
  return result.checks.some((c) => c.status === 'failed') ? 1 : 0;
}
