/**
 * Fastify plugin: `Authorization: Bearer <api key>` on every route under the
 * protected prefixes you name (e.g. `['/api/']`). Missing, malformed, unknown or revoked
 * keys get a 401 problem; the principal is on `request.principal`.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { ProblemError } from '../problems/index.ts';
import type { ApiKeyVerifier, Principal } from './api-keys.ts';

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | undefined;
  }
}

export interface ApiKeyAuthOptions {
  verifier: ApiKeyVerifier;
  /** route prefixes that need a key; routes outside them (health, docs, signed webhooks) stay open */
  protectedPrefixes: string[];
}

function unauthorized(detail: string): ProblemError {
  return new ProblemError('unauthorized', { detail });
}

async function apiKeyAuthPlugin(app: FastifyInstance, options: ApiKeyAuthOptions) {
  const prefixes = options.protectedPrefixes;
  if (!prefixes?.length)
    throw new Error('apiKeyAuth: protectedPrefixes must name at least one prefix, e.g. ["/api/"]');
  app.decorateRequest('principal', undefined);
  app.addHook('onReady', async () => {
    if (!(await options.verifier.ready()))
      app.log.warn('database unreachable at start: auth schema not checked');
  });
  app.addHook('onRequest', async (request) => {
    const route = request.routeOptions.url;
    if (route === undefined || !prefixes.some((p) => route.startsWith(p))) return;
    const header = request.headers.authorization;
    if (!header) throw unauthorized('Send Authorization: Bearer <api key>.');
    const match = /^Bearer +(\S+)\s*$/i.exec(header);
    if (!match) throw unauthorized('The Authorization header must be: Bearer <api key>.');
    const principal = await options.verifier.verify(match[1]);
    if (!principal) throw unauthorized('The API key is unknown or revoked.');
    request.principal = principal;
    request.tenantId = principal.tenantId;
  });
}

export const apiKeyAuth = fp(apiKeyAuthPlugin, {
  name: 'steadfast-api-key-auth',
  fastify: '5.x',
  dependencies: ['steadfast-observability'],
});

/** The principal of an authenticated request (throws 401 if the route was not protected). */
export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw unauthorized('Send Authorization: Bearer <api key>.');
  return request.principal;
}

export function requireScope(request: FastifyRequest, scope: string): Principal {
  const principal = principalOf(request);
  if (!principal.scopes.includes(scope)) {
    throw new ProblemError('forbidden', {
      detail: `This endpoint needs an API key with the "${scope}" scope.`,
    });
  }
  return principal;
}
