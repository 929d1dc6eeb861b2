/**
 * Runs the generated requests of one operation through fast-check and checks
 * every answer. Two modes: 'fail' stops at the first fatal finding and lets
 * fast-check shrink it to a minimal counter-example (the test suite); 'collect'
 * records every distinct finding and goes on (`npm run fuzz`'s survey).
 */

import type { ContractChecker } from '@steadfast/toolkit/testing';
import fc from 'fast-check';
import type { ConcreteRequest, FuzzTarget } from './fuzz-target.ts';
import { concreteRequest } from './fuzz-target.ts';
import {
  type Answer,
  contractFindings,
  FATAL_KINDS,
  type Finding,
  problemFindings,
  stateDigest,
  writeFindings,
} from './invariants.ts';
import { type FuzzOperation, type FuzzRequest, requestArbitrary } from './openapi-arbitraries.ts';

export interface FuzzContext {
  target: FuzzTarget;
  checker: ContractChecker;
  /** slugs of the app's problem registry */
  registered: Set<string>;
}

export interface RunOptions {
  seed: number;
  numRuns: number;
  mode: 'fail' | 'collect';
  /** a fast-check counter-example path, to replay one case (FUZZ_PATH) */
  path?: string;
  /** requests spent shrinking at most, then the smallest failure so far is reported (default 200) */
  shrinkBudget?: number;
}

export interface Example {
  finding: Finding;
  request: string;
  answer: string;
}

export interface OperationReport {
  operation: string;
  /** requests sent, shrinking included */
  requests: number;
  statuses: Record<string, number>;
  /** one example per distinct finding (kind + status + detail), shortest kept */
  examples: Map<string, Example>;
  /** 'fail' mode: fast-check's report of the shrunk counter-example, with seed and path */
  failure?: string;
}

const HANG_MS = 15_000;
const short = (text: string, max = 160) =>
  text.length > max ? `${text.slice(0, max)}… (${text.length} chars)` : text;

/** method, URL, headers and body of a request, values cut to a readable length. */
export function describeRequest(request: ConcreteRequest): string {
  const { method, url, headers, payload } = request.inject;
  const lines = [`${method} ${short(url, 300)}`];
  for (const [name, value] of Object.entries(headers)) lines.push(`${name}: ${short(JSON.stringify(value))}`);
  if (payload !== undefined) lines.push(`body: ${short(JSON.stringify(String(payload)), 400)}`);
  return lines.join('\n  ');
}

async function send(ctx: FuzzContext, request: ConcreteRequest): Promise<Answer> {
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${HANG_MS} ms`)), HANG_MS);
  });
  try {
    const response = await Promise.race([ctx.target.app.server.inject(request.inject), hang]);
    return {
      status: response.statusCode,
      contentType: response.headers['content-type'] as string | undefined,
      body: response.body,
      replayed: response.headers['idempotent-replayed'] === 'true',
    };
  } finally {
    clearTimeout(timer);
  }
}

/** What the app logged at error level for a request id (why a 5xx happened). */
function loggedError(ctx: FuzzContext, body: string): string {
  let requestId: unknown;
  try {
    requestId = JSON.parse(body).requestId;
  } catch {
    return 'no requestId in the answer';
  }
  const line = ctx.target.app.logs
    .text()
    .split('\n')
    .find((l) => l.includes(`"requestId":"${String(requestId)}"`) && /"level":(50|60)/.test(l));
  if (!line) return 'nothing logged at error level';
  const parsed = JSON.parse(line) as { err?: { message?: string; type?: string }; msg?: string };
  return short(`${parsed.err?.type ?? ''} ${parsed.err?.message ?? parsed.msg ?? ''}`.trim(), 140);
}

/** Send one request, check every invariant. */
export async function exchange(
  ctx: FuzzContext,
  op: FuzzOperation,
  symbolic: FuzzRequest,
): Promise<{ request: ConcreteRequest; answer: Answer | undefined; findings: Finding[] }> {
  const request = await concreteRequest(ctx.target, op, symbolic);
  const before = op.method === 'GET' ? undefined : await stateDigest(ctx.target, op.webhook);
  let answer: Answer;
  try {
    answer = await send(ctx, request);
  } catch (error) {
    const finding: Finding = {
      kind: 'hang',
      operation: op.name,
      status: 0,
      detail: (error as Error).message,
    };
    return { request, answer: undefined, findings: [finding] };
  }
  const findings = problemFindings(op, answer, ctx.registered);
  if (answer.status >= 500) {
    findings.unshift({
      kind: '5xx',
      operation: op.name,
      status: answer.status,
      detail: loggedError(ctx, answer.body),
    });
  }
  findings.push(...(await writeFindings(ctx.target, op, request, answer, before)));
  findings.push(...contractFindings(ctx.checker, op, request, answer));
  return { request, answer, findings };
}

class FuzzFailure extends Error {}

/** Each operation draws from its own seed, derived from the run's seed and its name. */
export function seedOf(seed: number, operation: string): number {
  let hash = seed | 0;
  for (const char of operation) hash = (Math.imul(hash, 31) + (char.codePointAt(0) ?? 0)) | 0;
  return hash;
}

export async function fuzzOperation(
  ctx: FuzzContext,
  op: FuzzOperation,
  options: RunOptions,
): Promise<OperationReport> {
  const report: OperationReport = { operation: op.name, requests: 0, statuses: {}, examples: new Map() };
  let failedAt: number | undefined;
  let firstFailure: string | undefined;
  const property = fc.asyncProperty(requestArbitrary(op), async (symbolic) => {
    // past the budget every candidate "passes" unsent, so fast-check ends with the smallest failure so far
    if (failedAt !== undefined && report.requests - failedAt >= (options.shrinkBudget ?? 200)) return;
    const { request, answer, findings } = await exchange(ctx, op, symbolic);
    report.requests++;
    const status = String(answer?.status ?? 'hang');
    report.statuses[status] = (report.statuses[status] ?? 0) + 1;
    const described = describeRequest(request);
    for (const finding of findings) {
      const signature = `${finding.kind} ${finding.status} ${finding.detail.replace(/[0-9a-z]{26}/g, '…')}`;
      const known = report.examples.get(signature);
      if (!known || described.length < known.request.length) {
        report.examples.set(signature, {
          finding,
          request: described,
          answer: short(answer?.body ?? '', 300),
        });
      }
    }
    // shrink towards the same failure (kind and status), not whichever fatal finding comes along
    const fatal = findings.filter(
      (f) => FATAL_KINDS.includes(f.kind) && (!firstFailure || `${f.kind} ${f.status}` === firstFailure),
    );
    if (options.mode === 'fail' && fatal.length) {
      failedAt ??= report.requests;
      firstFailure ??= `${fatal[0]?.kind} ${fatal[0]?.status}`;
      const what = fatal.map((f) => `${f.kind} ${f.status}: ${f.detail}`).join('; ');
      throw new FuzzFailure(`${what}\n  ${described}\n  answer: ${short(answer?.body ?? '', 300)}`);
    }
  });
  const seed = seedOf(options.seed, op.name);
  const details = await fc.check(property, {
    seed,
    numRuns: options.numRuns,
    path: options.path,
  });
  if (details.failed) {
    const error =
      details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance);
    report.failure = [
      `${op.name}: ${error}`,
      `  shrunk ${details.numShrinks} times; reproduce: FUZZ_SEED=${options.seed} FUZZ_OPS='${op.name}'` +
        ` FUZZ_PATH='${details.counterexamplePath}' npm run fuzz`,
    ].join('\n');
  }
  return report;
}
