/** `/healthz` (the process is alive) and `/readyz` (its dependencies are usable). */
import type { FastifyInstance } from 'fastify';
import { HIDDEN_FROM_OPENAPI, ProblemError } from '../problems/index.ts';

export interface HealthOptions {
  /** resolves with a reason when not ready, undefined when ready */
  notReadyReason: () => Promise<string | undefined>;
}

export function registerHealthRoutes(app: FastifyInstance, options: HealthOptions): void {
  app.get('/healthz', { schema: HIDDEN_FROM_OPENAPI }, async () => ({ status: 'ok' }));
  app.get('/readyz', { schema: HIDDEN_FROM_OPENAPI }, async () => {
    let reason: string | undefined;
    try {
      reason = await options.notReadyReason();
    } catch (error) {
      reason = `check failed: ${(error as Error).message}`;
    }
    if (reason) throw new ProblemError('not-ready', { detail: reason });
    return { status: 'ready' };
  });
}
