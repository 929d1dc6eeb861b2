/** problems.format — every 4xx/5xx the checker saw is application/problem+json with type, title and status = the HTTP status. */
import type { CheckContext } from '../context.ts';

export function runProblemChecks(ctx: CheckContext): void {
  const byOperation = new Map<string, typeof ctx.seen>();
  for (const seen of ctx.seen) {
    if (seen.response.status < 400) continue;
    byOperation.set(seen.operation, [...(byOperation.get(seen.operation) ?? []), seen]);
  }
  for (const op of ctx.operations) {
    const errors = byOperation.get(op.id) ?? [];
    if (errors.length === 0) {
      ctx.report({
        id: 'problems.format',
        group: 'problems',
        operation: op.id,
        status: 'skipped',
        detail: 'no error answers were seen',
      });
      continue;
    }
    const bad = errors.filter(({ response }) => {
      const type = (response.headers['content-type'] ?? '').split(';')[0].trim();
      const body = response.json as { type?: unknown; title?: unknown; status?: unknown } | undefined;
      return (
        type !== 'application/problem+json' ||
        typeof body?.type !== 'string' ||
        typeof body?.title !== 'string' ||
        body?.status !== response.status
      );
    });
    ctx.report({
      id: 'problems.format',
      group: 'problems',
      operation: op.id,
      status: bad.length ? 'failed' : 'passed',
      detail: bad.length
        ? `${bad.length} of ${errors.length} error answers are not problem+json with type, title and a matching status`
        : `${errors.length} error answers, all problem+json`,
      evidence: bad.slice(0, 3).map((s) => s.response.exchange),
    });
  }
}
