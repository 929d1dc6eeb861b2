import { type CheckContext, reporterFor } from '../context.ts';
import { buildRequest, etagOf, NotApplicable, resourceOf } from '../requests.ts';

export async function runConcurrencyChecks(ctx: CheckContext, writers = 10): Promise<void> {
  for (const op of ctx.operations.filter(
    (o) => (o.method === 'PATCH' || o.method === 'PUT') && o.pathParams.length === 1,
  )) {
    const report = reporterFor(ctx, 'concurrency', op.id);
    if (!op.requiredHeaders.includes('if-match')) {
      for (const id of ['if-match-required', 'stale', 'lost-update'])
        report(id, 'skipped', 'the spec does not require If-Match here');
      continue;
    }
    let request: Awaited<ReturnType<typeof buildRequest>>;
    try {
      request = await buildRequest(ctx, op, { freshResource: true });
    } catch (error) {
      if (!(error instanceof NotApplicable)) throw error;
      for (const id of ['if-match-required', 'stale', 'lost-update']) report(id, 'skipped', error.message);
      continue;
    }
    const { 'if-match': etag, ...withoutIfMatch } = request.headers ?? {};
    const missing = await ctx.client.send({ ...request, headers: withoutIfMatch });
    ctx.seen.push({ operation: op.id, response: missing });
    report(
      'if-match-required',
      missing.status === 428 ? 'passed' : 'failed',
      `without If-Match → ${missing.status} (428 expected)`,
      [missing.exchange],
    );
    const stale = await ctx.client.send({ ...request, headers: { ...withoutIfMatch, 'if-match': '"0"' } });
    ctx.seen.push({ operation: op.id, response: stale });
    report(
      'stale',
      stale.status === 412 ? 'passed' : 'failed',
      `with a stale ETag → ${stale.status} (412 expected)`,
      [stale.exchange],
    );
    const current = (await etagOf(ctx, resourceOf(op, request.path))) ?? etag;
    const answers = await Promise.all(
      Array.from({ length: writers }, (_, i) =>
        ctx.client.send({
          ...request,
          headers: { ...withoutIfMatch, 'if-match': current ?? '*' },
          body: request.body && i > 0 ? JSON.stringify(ctx.validSample(op.body?.schema ?? {})) : request.body,
        }),
      ),
    );
    for (const a of answers) ctx.seen.push({ operation: op.id, response: a });
    const winners = answers.filter((a) => a.status < 300).length;
    report(
      'lost-update',
      winners === 1 ? 'passed' : 'failed',
      `${writers} concurrent updates with one ETag → ${winners} succeeded`,
      winners === 1
        ? []
        : answers
            .filter((a) => a.status < 300)
            .slice(0, 3)
            .map((a) => a.exchange),
    );
  }
}
