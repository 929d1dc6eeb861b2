/**
 * Idempotency, judged by effects seen from outside: for a POST on a
 * collection, the collection's count; for an action, the resource's ETag.
 */
import type { RequestSpec, Response } from '../client.ts';
import { type CheckContext, reporterFor } from '../context.ts';
import {
  buildRequest,
  collectionOf,
  countCollection,
  etagOf,
  NotApplicable,
  resourcePathOf,
} from '../requests.ts';
import type { Operation } from '../spec.ts';

type Measure = (apiKey?: string) => Promise<number | undefined>;

function effectMeter(ctx: CheckContext, op: Operation, request: RequestSpec): Measure | undefined {
  if (op.pathParams.length === 0) {
    const collection = collectionOf(op);
    return ctx.operations.some((o) => o.method === 'GET' && o.path === collection)
      ? (key) => countCollection(ctx, collection, key)
      : undefined;
  }
  return async (key) => {
    const etag = await etagOf(ctx, resourcePathOf(request.path), key);
    const match = etag ? /^(?:W\/)?"?(\d+)"?$/.exec(etag) : null;
    return match ? Number(match[1]) : undefined;
  };
}

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

export async function runIdempotencyChecks(ctx: CheckContext, stormSize = 20): Promise<void> {
  for (const op of ctx.operations.filter(
    (o) => o.method === 'POST' && o.requiredHeaders.includes('idempotency-key'),
  )) {
    const report = reporterFor(ctx, 'idempotency', op.id);
    const fresh = async () => buildRequest(ctx, op, { freshResource: true });
    let probe: RequestSpec;
    try {
      probe = await fresh();
    } catch (error) {
      if (!(error instanceof NotApplicable)) throw error;
      for (const id of [
        'required',
        'storm',
        'replay',
        'fingerprint',
        'reuse',
        'tenant-scope',
        'lost-response',
      ])
        report(id, 'skipped', error.message);
      continue;
    }
    const meterFor = (request: RequestSpec) => effectMeter(ctx, op, request);
    const meter = meterFor(probe);
    const first = await ctx.client.send(probe);
    ctx.seen.push({ operation: op.id, response: first });
    if (!meter || (await meter()) === undefined) {
      for (const id of ['required', 'storm', 'reuse', 'lost-response'])
        report(
          id,
          'skipped',
          'effects of this operation cannot be observed (no countable collection or numeric ETag)',
        );
    }
    // replay: a retry after completion answers the same
    const again = await ctx.client.send(probe);
    const replayOk = again.status === first.status && again.body === first.body;
    report(
      'replay',
      replayOk ? 'passed' : 'failed',
      replayOk
        ? `same status and body${again.headers['idempotent-replayed'] ? ' (Idempotent-Replayed)' : ''}`
        : `first ${first.status}, retry ${again.status}`,
      [first.exchange, again.exchange],
    );
    if (first.status >= 300) {
      for (const id of ['required', 'storm', 'fingerprint', 'reuse', 'tenant-scope', 'lost-response'])
        report(id, 'skipped', `the generated request was refused (${first.status})`);
      continue;
    }
    // fingerprint: reordered, reformatted JSON is the same request
    if (probe.body) {
      const same = await ctx.client.send({ ...probe, body: reordered(probe.body) });
      const ok = same.status === first.status && same.body === first.body;
      report(
        'fingerprint',
        ok ? 'passed' : 'failed',
        ok ? 'reordered JSON replayed the first answer' : `reordered JSON answered ${same.status}`,
        [first.exchange, same.exchange],
      );
    } else report('fingerprint', 'skipped', 'no request body');
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
    if (!meter || (await meter()) === undefined) continue;

    // required: no key → 4xx and nothing happens
    const bare = await fresh();
    const bareMeter = meterFor(bare) as Measure;
    const { 'idempotency-key': _k, ...noKeyHeaders } = bare.headers ?? {};
    const before = await bareMeter();
    const noKey = await ctx.client.send({ ...bare, headers: noKeyHeaders });
    ctx.seen.push({ operation: op.id, response: noKey });
    const delta = ((await bareMeter()) ?? 0) - (before ?? 0);
    const requiredOk = noKey.status >= 400 && noKey.status < 500 && delta === 0;
    report(
      'required',
      requiredOk ? 'passed' : 'failed',
      requiredOk ? `refused with ${noKey.status}` : `answered ${noKey.status}, ${delta} effect(s)`,
      [noKey.exchange],
    );

    // storm: N concurrent identical requests, one key → exactly one effect
    const storm = await fresh();
    const stormMeter = meterFor(storm) as Measure;
    const stormBefore = (await stormMeter()) ?? 0;
    const answers: Response[] = await Promise.all(
      Array.from({ length: stormSize }, () => ctx.client.send(storm)),
    );
    const effects = ((await stormMeter()) ?? 0) - stormBefore;
    const okBodies = new Set(answers.filter((a) => a.status < 300).map((a) => a.body));
    const stormOk = effects === 1 && okBodies.size <= 1 && answers.every((a) => a.status < 500);
    report(
      'storm',
      stormOk ? 'passed' : 'failed',
      `${stormSize} concurrent requests with one key → ${effects} effect(s), ${okBodies.size} distinct success bodies`,
      stormOk ? [] : answers.slice(0, 3).map((a) => a.exchange),
    );

    // reuse: same key, another body → 4xx and nothing happens
    if (storm.body) {
      const otherBody = await fresh();
      const reuseMeter = meterFor(storm) as Measure;
      const reuseBefore = (await reuseMeter()) ?? 0;
      const reused = await ctx.client.send({
        ...otherBody,
        path: storm.path,
        headers: { ...otherBody.headers, 'idempotency-key': storm.headers?.['idempotency-key'] ?? '' },
      });
      ctx.seen.push({ operation: op.id, response: reused });
      const reuseDelta = ((await reuseMeter()) ?? 0) - reuseBefore;
      const changed = otherBody.body !== storm.body;
      const ok = !changed || (reused.status >= 400 && reused.status < 500 && reuseDelta === 0);
      report(
        'reuse',
        ok ? 'passed' : 'failed',
        `another body with the same key → ${reused.status}${reused.status === 422 ? '' : ' (422 expected)'}, ${reuseDelta} effect(s)`,
        [reused.exchange],
      );
    } else report('reuse', 'skipped', 'no request body');

    // lost response: send, drop the connection, retry with the same key → exactly one effect
    const lost = await fresh();
    const lostMeter = meterFor(lost) as Measure;
    const lostBefore = (await lostMeter()) ?? 0;
    const dropped = await ctx.client.sendAndDrop(lost);
    // the retry comes after the first request did its work (as a client's would, seconds later):
    // wait for its effect (up to 2 s), so this checks replay after a lost answer, not a race (that is the storm's)
    for (let waited = 0; waited < 2000 && ((await lostMeter()) ?? 0) === lostBefore; waited += 50)
      await new Promise((r) => setTimeout(r, 50));
    let retry = await ctx.client.send(lost);
    for (let i = 0; i < 10 && retry.status === 409; i++) {
      await new Promise((r) => setTimeout(r, 200));
      retry = await ctx.client.send(lost);
    }
    const lostDelta = ((await lostMeter()) ?? 0) - lostBefore;
    const lostOk = lostDelta === 1 && retry.status < 300;
    report(
      'lost-response',
      lostOk ? 'passed' : 'failed',
      `dropped connection, then a retry (${retry.status}) → ${lostDelta} effect(s)`,
      [dropped, retry.exchange],
    );
  }
}
