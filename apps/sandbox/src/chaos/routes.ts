/** PUT / GET / DELETE /{partner}/_chaos: set, read (with counters) and clear a partner's chaos. */
import type { FastifyInstance } from 'fastify';
import { partnerError } from '../errors.ts';
import type { ChaosState } from './chaos-state.ts';
import { parseChaosConfig } from './config.ts';

export function registerChaosRoutes(app: FastifyInstance, partner: string, chaos: ChaosState): void {
  app.put(`/${partner}/_chaos`, async (request, reply) => {
    const parsed = parseChaosConfig(request.body ?? {}, partner);
    if (!parsed.ok) {
      return reply
        .code(400)
        .send(
          partnerError(
            'invalid_request_error',
            'invalid_chaos_config',
            `${parsed.pointer || '/'} ${parsed.message}`,
            parsed.pointer,
          ),
        );
    }
    chaos.set(parsed.config);
    return { ...chaos.config(), ...chaos.counters() };
  });
  app.get(`/${partner}/_chaos`, async () => ({ ...chaos.config(), ...chaos.counters() }));
  app.delete(`/${partner}/_chaos`, async (_request, reply) => {
    chaos.clear();
    return reply.code(204).send();
  });
}
