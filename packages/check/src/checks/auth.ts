/**
 * auth.missing / auth.malformed / auth.unknown-key — every operation the
 * document secures answers 401 with a problem without credentials, with a
 * malformed Authorization header, and with a key that does not exist; an
 * operation that succeeds without them "ignores" auth.
 */
import type { RequestSpec } from '../client.ts';
import { type CheckContext, reporterFor } from '../context.ts';
import { buildRequest, NotApplicable, requestOn } from '../requests.ts';

const isProblem = (type: string | undefined, json: unknown, status: number) =>
  (type ?? '').split(';')[0].trim() === 'application/problem+json' &&
  typeof (json as { type?: unknown } | undefined)?.type === 'string' &&
  (json as { status?: unknown }).status === status;

export async function runAuthChecks(ctx: CheckContext): Promise<void> {
  for (const op of ctx.operations.filter((o) => o.secured)) {
    const report = reporterFor(ctx, 'auth', op.id);
    let request: RequestSpec;
    try {
      request = await buildRequest(ctx, op);
    } catch (error) {
      if (!(error instanceof NotApplicable)) throw error;
      // credentials are checked before the resource is looked up: an unknown id serves
      request = requestOn(ctx, op, `unknown-${ctx.seed}`);
    }
    const variants: [string, Partial<RequestSpec>, string][] = [
      ['missing', { apiKey: null }, 'without credentials'],
      [
        'malformed',
        { apiKey: null, headers: { authorization: 'Bearer not a key; really' } },
        'with a malformed Authorization header',
      ],
      [
        'unknown-key',
        { apiKey: null, headers: { authorization: `Bearer sk_unknown_${ctx.seed}_0000000000` } },
        'with a key that does not exist',
      ],
    ];
    for (const [id, change, how] of variants) {
      const answer = await ctx.client.send({
        ...request,
        ...change,
        headers: { ...request.headers, ...change.headers },
      });
      ctx.seen.push({ operation: op.id, response: answer });
      const problem = isProblem(answer.headers['content-type'], answer.json, answer.status);
      const ok = answer.status === 401 && problem;
      report(
        id,
        ok ? 'passed' : 'failed',
        ok
          ? `${how} → 401 problem`
          : answer.status < 300
            ? `${how} → ${answer.status}: this operation ignores auth`
            : `${how} → ${answer.status}${problem ? '' : ', not a problem+json'} (401 problem expected)`,
        [answer.exchange],
      );
    }
  }
}
