/**
 * Fastify plugin: routes opt in with `config: { idempotency: true }`. Before
 * validation it reads `Idempotency-Key` (400 when missing or malformed) and
 * attaches the key's scope — tenant, method, route template, key — and the
 * request fingerprint to `request.idempotency` for the engine to use.
 *
 * Concurrent duplicates in this process: a request whose (scope, key) is
 * already being handled here waits for that first request to answer (at most
 * `inFlightWaitMs`), then goes on — it will usually find the stored answer
 * and replay it, so ten concurrent retries of one key do the work (and call
 * the partners) once, not ten times. Across processes the engine's own rules
 * (one statement, claim and lease) still decide.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { type Queryable, schemaCheckHook } from '../postgres/index.ts';
import { ProblemError } from '../problems/index.ts';
import { requestFingerprint } from './fingerprint.ts';
import { parseIdempotencyKey } from './key-header.ts';
import { idempotencyMigrations } from './migrations.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** require Idempotency-Key on this route */
    idempotency?: boolean;
  }
}

export interface IdempotencyPluginOptions {
  /** where the keys live: checked for the block's migration when the app starts */
  db: Queryable;
  /** false turns the protection off (for benchmarks): the header is then ignored */
  enabled?: boolean;
  /** the tenant a request belongs to; keys are scoped by it */
  tenantOf: (request: FastifyRequest) => string;
  /** how long a duplicate of a request in flight in this process waits for it before going on (default 2000) */
  inFlightWaitMs?: number;
}

async function idempotencyPlugin(app: FastifyInstance, options: IdempotencyPluginOptions) {
  app.decorateRequest('idempotency', undefined);
  if (options.enabled === false) return;
  const inFlightWaitMs = options.inFlightWaitMs ?? 2000;
  /** (scope, key) → settles when the first request of that key in this process has answered */
  const inFlight = new Map<string, Promise<void>>();
  app.addHook(
    'onReady',
    schemaCheckHook(app.log, options.db, idempotencyMigrations, 'idempotencyMigrations'),
  );
  app.addHook('preValidation', async (request, reply) => {
    if (!request.routeOptions.config.idempotency) return;
    const parsed = parseIdempotencyKey(request.headers['idempotency-key']);
    if (parsed === undefined) {
      throw new ProblemError('idempotency-key-missing', {
        detail: 'Send an Idempotency-Key header (e.g. a UUID) with every POST; reuse it when you retry.',
      });
    }
    if (!parsed.ok) throw new ProblemError('idempotency-key-invalid', { detail: parsed.reason });
    request.idempotency = {
      scope: {
        tenantId: options.tenantOf(request),
        method: request.method,
        route: request.routeOptions.url ?? request.url,
        key: parsed.key,
      },
      fingerprint: requestFingerprint(request.body, request.params),
    };
    const { scope } = request.idempotency;
    const id = JSON.stringify([scope.tenantId, scope.method, scope.route, scope.key]);
    const first = inFlight.get(id);
    if (first) {
      // a duplicate: let the first answer, then go on (it will find the stored answer)
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([first, new Promise((resolve) => (timer = setTimeout(resolve, inFlightWaitMs)))]);
      clearTimeout(timer);
      return;
    }
    let release = () => {};
    inFlight.set(id, new Promise<void>((resolve) => (release = resolve)));
    // the response's 'close' fires once whatever happens: answered, failed, or the client hung up
    // mid-handler (when neither onResponse nor onRequestAbort runs)
    reply.raw.once('close', () => {
      inFlight.delete(id);
      release();
    });
  });
}

export const idempotency = fp(idempotencyPlugin, { name: 'steadfast-idempotency', fastify: '5.x' });

/** Route schema fragment documenting the header as required. */
export const IDEMPOTENCY_KEY_HEADER = {
  'idempotency-key': {
    type: 'string',
    minLength: 1,
    maxLength: 257,
    description: 'unique per operation (e.g. a UUID); resend the same key when retrying',
  },
} as const;
