/**
 * Long-running operations (every POST that documents 202):
 * lro.accepted — the 202 carries `Location` and `Retry-After`;
 * lro.terminal — polling the Location (honouring Retry-After) reaches a
 * terminal state within --lro-timeout; lro.error-problem — a failed
 * operation's error is a problem; lro.prefer-wait — `Prefer: wait=N` is
 * honoured (a final answer, `Preference-Applied`) or ignored honestly (a 202
 * that does not claim it waited).
 */
import type { Response } from '../client.ts';
import { type CheckContext, reporterFor } from '../context.ts';
import { buildRequest, NotApplicable } from '../requests.ts';

const TERMINAL =
  /^(succeeded|success|failed|failure|error|canceled|cancelled|completed|complete|done|rejected)$/i;
const FAILED = /^(failed|failure|error|rejected)$/i;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function runLroChecks(ctx: CheckContext): Promise<void> {
  const timeoutMs = ctx.options.lroTimeoutMs ?? 30_000;
  for (const op of ctx.operations.filter((o) => o.method === 'POST' && o.responses['202'])) {
    const report = reporterFor(ctx, 'lro', op.id);
    let accepted: Response;
    try {
      accepted = await ctx.client.send(await buildRequest(ctx, op, { freshResource: true }));
    } catch (error) {
      if (!(error instanceof NotApplicable)) throw error;
      for (const id of ['accepted', 'terminal']) report(id, 'skipped', error.message);
      continue;
    }
    ctx.seen.push({ operation: op.id, response: accepted });
    if (accepted.status !== 202) {
      report('accepted', 'skipped', `the generated request answered ${accepted.status}, not 202`, [
        accepted.exchange,
      ]);
      continue;
    }
    const location = accepted.headers.location;
    const retryAfter = accepted.headers['retry-after'];
    const acceptedOk = Boolean(location) && retryAfter !== undefined && /^\d+$|GMT$/.test(retryAfter);
    report(
      'accepted',
      acceptedOk ? 'passed' : 'failed',
      `202 with Location ${location ?? 'missing'}, Retry-After ${retryAfter ?? 'missing'}`,
      [accepted.exchange],
    );
    if (!location) continue;
    const started = Date.now();
    let poll: Response = accepted;
    let state: string | undefined;
    while (Date.now() - started < timeoutMs) {
      const wait = Math.min(1000, Math.max(50, Number(poll.headers['retry-after'] ?? 0) * 1000));
      await sleep(Math.min(wait, timeoutMs - (Date.now() - started)));
      poll = await ctx.client.send({ method: 'GET', path: new URL(location, 'http://x').pathname });
      state = (poll.json as { status?: unknown } | undefined)?.status as string | undefined;
      if (poll.status >= 400 || (typeof state === 'string' && TERMINAL.test(state))) break;
    }
    const terminal = typeof state === 'string' && TERMINAL.test(state);
    report(
      'terminal',
      terminal ? 'passed' : 'failed',
      terminal
        ? `reached "${state}" in ${((Date.now() - started) / 1000).toFixed(1)} s`
        : `still "${state ?? poll.status}" after ${timeoutMs / 1000} s (--lro-timeout)`,
      [poll.exchange],
    );
    if (terminal && FAILED.test(state as string)) {
      const error = (poll.json as { error?: { type?: unknown; title?: unknown; status?: unknown } }).error;
      const ok = typeof error?.type === 'string' && typeof error.title === 'string';
      report(
        'error-problem',
        ok ? 'passed' : 'failed',
        ok ? `the error is a problem (${error?.type})` : 'the failed operation carries no problem in "error"',
        [poll.exchange],
      );
    }
    if (op.optionalHeaders.includes('prefer') || op.requiredHeaders.includes('prefer')) {
      let request: Awaited<ReturnType<typeof buildRequest>>;
      try {
        request = await buildRequest(ctx, op, { freshResource: true }); // a second fresh resource
      } catch (error) {
        if (!(error instanceof NotApplicable)) throw error;
        report('prefer-wait', 'skipped', error.message);
        continue;
      }
      const sentAt = Date.now();
      const waited = await ctx.client.send({ ...request, headers: { ...request.headers, prefer: 'wait=1' } });
      const elapsedMs = Date.now() - sentAt;
      const applied = /wait/i.test(waited.headers['preference-applied'] ?? '');
      const honest = waited.status === 202 ? !applied || elapsedMs >= 900 : waited.status < 300;
      report(
        'prefer-wait',
        honest ? 'passed' : 'failed',
        `Prefer: wait=1 → ${waited.status} after ${elapsedMs} ms, Preference-Applied ${waited.headers['preference-applied'] ?? 'absent'}`,
        [waited.exchange],
      );
    }
  }
}
