/**
 * `/healthz` (the process is alive) and `/readyz` (its dependencies are usable).
 *
 * The readiness check is bounded: when it has not answered within `timeoutMs`
 * (a frozen database, a saturated pool) `/readyz` is 503 at once; the check
 * keeps running in the background and later probes share it instead of
 * queueing one more behind it.
 */
import type { FastifyInstance } from 'fastify';
import { HIDDEN_FROM_OPENAPI, ProblemError } from '../problems/index.ts';

export interface HealthOptions {
  /** resolves with a reason when not ready, undefined when ready */
  notReadyReason: () => Promise<string | undefined>;
  /** longest wait for `notReadyReason` before answering 503 (default 800, so a probe with a 1 s limit gets its answer) */
  timeoutMs?: number;
}

export function registerHealthRoutes(app: FastifyInstance, options: HealthOptions): void {
  const timeoutMs = options.timeoutMs ?? 800;
  let inFlight: Promise<string | undefined> | undefined;
  const check = () => {
    inFlight ??= options
      .notReadyReason()
      .catch((error: Error) => `check failed: ${error.message}`)
      .finally(() => {
        inFlight = undefined;
      });
    return inFlight;
  };
  app.get('/healthz', { schema: HIDDEN_FROM_OPENAPI }, async () => ({ status: 'ok' }));
  app.get('/readyz', { schema: HIDDEN_FROM_OPENAPI }, async () => {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<string>((resolve) => {
      timer = setTimeout(() => resolve(`readiness check did not answer within ${timeoutMs} ms`), timeoutMs);
    });
    const reason = await Promise.race([check(), late]).finally(() => clearTimeout(timer));
    if (reason) throw new ProblemError('not-ready', { detail: reason });
    return { status: 'ready' };
  });
}
