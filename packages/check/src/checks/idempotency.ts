/**
 * Idempotency, judged by effects seen from outside (effects.ts): every POST
 * that documents `Idempotency-Key` — required, or optional and sent anyway.
 * replay, fingerprint, tenant-scope, required, storm, reuse, lost-response
 * here; cross-route and failure-replay in idempotency-more.ts.
 */
import type { RequestSpec, Response } from '../client.ts';
import { type CheckContext, reporterFor } from '../context.ts';
import { type Meter, meterFor } from '../effects.ts';
import { buildRequest, isAction, NotApplicable } from '../requests.ts';
import type { Operation } from '../spec.ts';
import { checkCrossRoute, checkFailureReplay, type FailureSeen } from './idempotency-more.ts';
import { canonicalAnswer, sameAnswer } from './replay-omits.ts';

const ALL = [
  'required',
  'storm',
  'replay',
  'fingerprint',
  'reuse',
  'tenant-scope',
  'lost-response',
  'cross-route',
];

/** Same JSON, other key order and whitespace. */
function reordered(body: string): string {
  const value = JSON.parse(body);
  const flip = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(flip)
      : v && typeof v === 'object'
        ? Object.fromEntries(
            Object.entries(v)
              .reverse()
              .map(([k, x]) => [k, flip(x)]),
          )
        : v;
  return JSON.stringify(flip(value), null, 3);
}

const keyed = (op: Operation) =>
  op.requiredHeaders.includes('idempotency-key') || op.optionalHeaders.includes('idempotency-key');

export async function runIdempotencyChecks(ctx: CheckContext, stormSize = 20): Promise<void> {
  const failures: FailureSeen[] = [];
  for (const op of ctx.operations.filter((o) => o.method === 'POST')) {
    const report = reporterFor(ctx, 'idempotency', op.id);
    if (!keyed(op)) {
      report('key', 'skipped', 'the document declares no Idempotency-Key header for this POST');
      continue;
    }
    await checkOperation(ctx, op, report, failures, stormSize);
  }
  await checkFailureReplay(ctx, failures);
}

type Report = ReturnType<typeof reporterFor>;

async function checkOperation(
  ctx: CheckContext,
  op: Operation,
  report: Report,
  failures: FailureSeen[],
  stormSize: number,
): Promise<void> {
  // once a generated body is refused (400), every later one has only the required members: optional
  // ones can break rules a schema cannot say (a date that must be in the future)
  let requiredOnly = false;
  const fresh = async () => {
    const request = await buildRequest(ctx, op, { freshResource: true });
    return requiredOnly && op.body
      ? { ...request, body: JSON.stringify(ctx.requiredSample(op.body.schema)) }
      : request;
  };
  const ids = ALL.filter((id) => (id === 'cross-route' ? isAction(op) : id !== 'fingerprint' || op.body));
  let probe: RequestSpec;
  try {
    probe = await fresh();
  } catch (error) {
    if (!(error instanceof NotApplicable)) throw error;
    for (const id of ids) report(id, 'skipped', error.message);
    return;
  }
  let first = await ctx.client.send(probe);
  ctx.seen.push({ operation: op.id, response: first });
  if (first.status === 400 && op.body) {
    requiredOnly = true;
    probe = await fresh();
    first = await ctx.client.send(probe);
    ctx.seen.push({ operation: op.id, response: first });
  }
  if (first.status === 400 || first.status === 401 || first.status === 403) {
    // a refusal before any work (a key without access, a body the server's own rules reject) is not
    // an answer an API stores for the key: there is nothing to replay, and no other check applies.
    // Other errors (404, 409, 422, …) may be stored answers: their replay is still checked.
    for (const id of ids)
      report(
        id,
        'skipped',
        `the generated request was refused (${first.status}) and no prelude made it succeed`,
      );
    return;
  }
  // replay: a retry after completion answers the same
  const again = await ctx.client.send(probe);
  const replayOk = again.status === first.status && sameAnswer(first.body, again.body, op.replayOmits);
  report(
    'replay',
    replayOk ? 'passed' : 'failed',
    replayOk
      ? `same status and body (${first.status})${again.headers['idempotent-replayed'] ? ', Idempotent-Replayed' : ''}`
      : `first ${first.status}, retry ${again.status}`,
    [first.exchange, again.exchange],
  );
  if (first.status >= 300) {
    for (const id of ids.filter((i) => i !== 'replay'))
      report(
        id,
        'skipped',
        `the generated request was refused (${first.status}) and no prelude made it succeed`,
      );
    return;
  }
  // fingerprint: reordered, reformatted JSON is the same request
  if (probe.body) {
    const same = await ctx.client.send({ ...probe, body: reordered(probe.body) });
    const ok = same.status === first.status && sameAnswer(first.body, same.body, op.replayOmits);
    report(
      'fingerprint',
      ok ? 'passed' : 'failed',
      ok ? 'reordered JSON replayed the first answer' : `reordered JSON answered ${same.status}`,
      [first.exchange, same.exchange],
    );
  }
  // tenant scope: the same key from another tenant never gets the first tenant's answer
  if (ctx.otherApiKey) {
    const theirs = await ctx.client.send({ ...probe, apiKey: ctx.otherApiKey });
    const leaked = theirs.status < 300 && theirs.body === first.body;
    report(
      'tenant-scope',
      leaked ? 'failed' : 'passed',
      leaked
        ? "another tenant got the first tenant's stored answer"
        : `another tenant got its own answer (${theirs.status})`,
      [first.exchange, theirs.exchange],
    );
  } else report('tenant-scope', 'skipped', 'needs --other-api-key');
  if (isAction(op)) await checkCrossRoute(ctx, op, report, first.headers.location);

  const hint = first.headers.location;
  const meter = await meterFor(ctx, op, probe, hint);
  if (!meter) {
    for (const id of ['required', 'storm', 'reuse', 'lost-response'])
      report(id, 'skipped', 'its effects cannot be observed (no listable collection, no readable resource)');
    return;
  }
  // each request's own meter: an action's effect is on its own fresh resource
  const meterOf = async (request: RequestSpec) => (await meterFor(ctx, op, request, hint)) ?? meter;
  await checkRequired(ctx, op, report, fresh, meterOf);
  const storm = await fresh();
  const stormMeter = await meterOf(storm);
  const stormBefore = await stormMeter.take();
  const answers: Response[] = await Promise.all(
    Array.from({ length: stormSize }, () => ctx.client.send(storm)),
  );
  const effects = stormMeter.effects(stormBefore, await stormMeter.take());
  // the members a replay omits by design (x-replay-omits) do not make two answers different
  const okBodies = new Set(
    answers.filter((a) => a.status < 300).map((a) => canonicalAnswer(a.body, op.replayOmits)),
  );
  const failed = answers.filter((a) => a.status === 409 || a.status === 429 || a.status >= 500);
  if (failed.length)
    failures.push({ op, request: storm, answer: failed[0], success: answers.find((a) => a.status < 300) });
  const stormOk = effects === 1 && okBodies.size <= 1 && answers.every((a) => a.status < 500);
  report(
    'storm',
    stormOk ? 'passed' : 'failed',
    `${stormSize} concurrent requests with one key → ${effects}${stormMeter.exact ? '' : ' (or more)'} effect(s) on ${stormMeter.what}, ${okBodies.size} distinct success bodies`,
    stormOk ? [] : answers.slice(0, 3).map((a) => a.exchange),
  );
  await checkReuse(ctx, op, report, storm, fresh, hint);
  await checkLostResponse(ctx, report, fresh, meterOf, failures, op);
}

async function checkRequired(
  ctx: CheckContext,
  op: Operation,
  report: Report,
  fresh: () => Promise<RequestSpec>,
  meterOf: (request: RequestSpec) => Promise<Meter>,
): Promise<void> {
  const bare = await fresh();
  const meter = await meterOf(bare);
  const { 'idempotency-key': _k, ...noKeyHeaders } = bare.headers ?? {};
  const before = await meter.take();
  const noKey = await ctx.client.send({ ...bare, headers: noKeyHeaders });
  ctx.seen.push({ operation: op.id, response: noKey });
  const delta = meter.effects(before, await meter.take());
  const refused = noKey.status >= 400 && noKey.status < 500 && delta === 0;
  const required = op.requiredHeaders.includes('idempotency-key');
  const status = refused ? 'passed' : required || ctx.options.requireKey ? 'failed' : 'warning';
  report(
    'required',
    status,
    refused
      ? `refused with ${noKey.status}`
      : `answered ${noKey.status}, ${delta} effect(s)${required ? '' : ': the key is optional here, a retry of this request can run twice (IETF draft: SHOULD require it; --require-key makes this a failure)'}`,
    [noKey.exchange],
  );
}

/** reuse: same key, another request (another body, or the same action on another resource) → 422, no effect */
async function checkReuse(
  ctx: CheckContext,
  op: Operation,
  report: Report,
  storm: RequestSpec,
  fresh: () => Promise<RequestSpec>,
  hint: string | undefined,
): Promise<void> {
  const other = await fresh();
  const key = storm.headers?.['idempotency-key'] ?? '';
  // with a body: the same target, another body; without: the same route on another resource
  const reused: RequestSpec = op.body
    ? { ...other, path: storm.path, headers: { ...other.headers, 'idempotency-key': key } }
    : { ...other, headers: { ...other.headers, 'idempotency-key': key } };
  if (reused.body === storm.body && reused.path === storm.path) {
    report('reuse', 'skipped', 'could not generate a different request');
    return;
  }
  const reuseMeter = await meterFor(ctx, op, reused, hint);
  const before = await reuseMeter?.take();
  let answer = await ctx.client.send(reused);
  ctx.seen.push({ operation: op.id, response: answer });
  if (answer.status === 400 && op.body) {
    // the other body broke a rule its schema cannot say: another one with only the required members
    const body = JSON.stringify(ctx.requiredSample(op.body.schema));
    if (body !== storm.body) {
      answer = await ctx.client.send({ ...reused, body });
      ctx.seen.push({ operation: op.id, response: answer });
    }
  }
  const delta = reuseMeter ? reuseMeter.effects(before, await reuseMeter.take()) : 0;
  const ok = answer.status === 422 && delta === 0;
  report(
    'reuse',
    ok ? 'passed' : 'failed',
    `${op.body ? 'another body' : 'another resource'} with the same key → ${answer.status}${answer.status === 422 ? '' : ' (422 expected)'}, ${delta} effect(s)`,
    [answer.exchange],
  );
}

/** lost response: send, drop the connection, retry with the same key → exactly one effect */
async function checkLostResponse(
  ctx: CheckContext,
  report: Report,
  fresh: () => Promise<RequestSpec>,
  meterOf: (request: RequestSpec) => Promise<Meter>,
  failures: FailureSeen[],
  op: Operation,
): Promise<void> {
  const lost = await fresh();
  const meter = await meterOf(lost);
  const lostBefore = await meter.take();
  const dropped = await ctx.client.sendAndDrop(lost);
  // the retry comes after the first request did its work (as a client's would, seconds later):
  // wait for its effect (up to 2 s), so this checks replay after a lost answer, not a race (that is the storm's)
  for (let waited = 0; waited < 2000 && meter.effects(lostBefore, await meter.take()) === 0; waited += 50)
    await new Promise((r) => setTimeout(r, 50));
  let retry = await ctx.client.send(lost);
  for (let i = 0; i < 10 && retry.status === 409; i++) {
    failures.push({ op, request: lost, answer: retry });
    await new Promise((r) => setTimeout(r, 200));
    retry = await ctx.client.send(lost);
  }
  const lostDelta = meter.effects(lostBefore, await meter.take());
  const lostOk = lostDelta === 1 && retry.status < 300;
  report(
    'lost-response',
    lostOk ? 'passed' : 'failed',
    `dropped connection, then a retry (${retry.status}) → ${lostDelta} effect(s)`,
    [dropped, retry.exchange],
  );
}
