/**
 * Fastify plugin: `Authorization: Bearer <api key>` on every route under the
 * protected prefixes you name (e.g. `['/api/']`). Missing, malformed, unknown,
 * revoked or expired keys get a 401 problem; the principal is on
 * `request.principal` (and a tenant's id on `request.tenantId`). With
 * `failures`, an address that failed too often is answered 429 `rate-limited`
 * without a database lookup — except for a valid key already in the cache.
 * With `keyChanges`, revocations from any process reach this one's cache at once.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { Counter, type Registry } from 'prom-client';
import { type BackgroundErrors, registerOnce } from '../observability/index.ts';
import { createNotificationListener, type NotificationListener, type Pool } from '../postgres/index.ts';
import { ProblemError } from '../problems/index.ts';
import {
  API_KEY_PATTERN,
  type ApiKeyVerifier,
  type OperatorPrincipal,
  type Principal,
  type TenantPrincipal,
} from './api-keys.ts';
import type { AuthFailureThrottle } from './failure-throttle.ts';
import { API_KEYS_CHANNEL } from './keys.ts';

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | undefined;
  }
}

export interface KeyChangesOptions {
  pool: Pool;
  verifier: ApiKeyVerifier;
  /** where listener failures are logged and counted */
  errors: BackgroundErrors;
  retryMinMs?: number;
  retryMaxMs?: number;
}

/** LISTEN on `API_KEYS_CHANNEL`: a notified key id is forgotten; after a lost connection, the whole cache. */
export function listenForKeyChanges(options: KeyChangesOptions): NotificationListener {
  return createNotificationListener({
    pool: options.pool,
    channel: API_KEYS_CHANNEL,
    onNotification: (keyId) => options.verifier.invalidate(keyId),
    onReconnect: () => options.verifier.clear(),
    errors: options.errors,
    retryMinMs: options.retryMinMs,
    retryMaxMs: options.retryMaxMs,
  });
}

export interface ApiKeyAuthOptions {
  verifier: ApiKeyVerifier;
  /** route prefixes that need a key; routes outside them (health, docs, signed webhooks) stay open */
  protectedPrefixes: string[];
  /** throttle addresses with too many failed authentications (429 `rate-limited`, no lookup) */
  failures?: AuthFailureThrottle;
  /** the client address the throttle counts (default `request.ip`; set Fastify's trustProxy behind a proxy) */
  addressOf?: (request: FastifyRequest) => string;
  /** `steadfast_auth_failures_total{reason}` is registered here */
  registry?: Registry;
  /** listen for revocations from every process (started in onReady, stopped in onClose) */
  keyChanges?: Omit<KeyChangesOptions, 'verifier'>;
}

export type AuthFailureReason = 'missing' | 'malformed' | 'unknown' | 'throttled';

const METRIC = 'steadfast_auth_failures_total';

function unauthorized(detail: string): ProblemError {
  return new ProblemError('unauthorized', { detail });
}

async function apiKeyAuthPlugin(app: FastifyInstance, options: ApiKeyAuthOptions) {
  const prefixes = options.protectedPrefixes;
  if (!prefixes?.length)
    throw new Error('apiKeyAuth: protectedPrefixes must name at least one prefix, e.g. ["/api/"]');
  const { verifier, failures } = options;
  const addressOf = options.addressOf ?? ((request: FastifyRequest) => request.ip);
  const { registry } = options;
  const counter = registry
    ? registerOnce(
        registry,
        METRIC,
        () =>
          new Counter({
            name: METRIC,
            help: 'Failed authentications by reason (missing, malformed, unknown, throttled)',
            labelNames: ['reason'] as const,
            registers: [registry],
          }),
      )
    : undefined;
  const listener = options.keyChanges ? listenForKeyChanges({ ...options.keyChanges, verifier }) : undefined;

  app.decorateRequest('principal', undefined);
  app.addHook('onReady', async () => {
    if (!(await verifier.ready())) app.log.warn('database unreachable at start: auth schema not checked');
    await listener?.start();
  });
  if (listener) app.addHook('onClose', () => listener.stop());

  function fail(request: FastifyRequest, reason: Exclude<AuthFailureReason, 'throttled'>, detail: string) {
    counter?.inc({ reason });
    failures?.recordFailure(addressOf(request));
    return unauthorized(detail);
  }

  function throttled(request: FastifyRequest): ProblemError | undefined {
    const retryAfterS = failures?.retryAfterS(addressOf(request));
    if (retryAfterS === undefined) return undefined;
    counter?.inc({ reason: 'throttled' });
    return new ProblemError('rate-limited', {
      detail: `Too many failed authentications from this address; retry after ${retryAfterS} s with a valid API key.`,
      headers: { 'Retry-After': String(retryAfterS) },
    });
  }

  app.addHook('onRequest', async (request) => {
    const route = request.routeOptions.url;
    if (route === undefined || !prefixes.some((p) => route.startsWith(p))) return;
    const header = request.headers.authorization;
    const match = header ? /^Bearer +(\S+)\s*$/i.exec(header) : null;
    const key = match?.[1];
    // a valid key in the cache passes even from a throttled address: no round trip either way
    const hit = key === undefined ? undefined : verifier.peek(key);
    let principal = hit?.principal;
    if (!principal) {
      const refused = throttled(request);
      if (refused) throw refused;
      if (!header) throw fail(request, 'missing', 'Send Authorization: Bearer <api key>.');
      if (key === undefined)
        throw fail(request, 'malformed', 'The Authorization header must be: Bearer <api key>.');
      principal = hit ? undefined : await verifier.verify(key);
      if (!principal) {
        const reason = API_KEY_PATTERN.test(key) ? 'unknown' : 'malformed';
        throw fail(request, reason, 'The API key is unknown, revoked or expired.');
      }
    }
    request.principal = principal;
    if (principal.kind === 'tenant') request.tenantId = principal.tenantId;
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

/** The tenant principal; an operator key is 403 `forbidden` (operators have no tenant data). */
export function requireTenant(request: FastifyRequest): TenantPrincipal {
  const principal = principalOf(request);
  if (principal.kind !== 'tenant') {
    throw new ProblemError('forbidden', {
      detail: "Operator keys have no tenant: this endpoint serves one tenant's data; use that tenant's key.",
    });
  }
  return principal;
}

/** The operator principal; a tenant key is 403 `forbidden`. */
export function requireOperator(request: FastifyRequest): OperatorPrincipal {
  const principal = principalOf(request);
  if (principal.kind !== 'operator') {
    throw new ProblemError('forbidden', {
      detail: 'This is an operator endpoint: a tenant key cannot use it; use an operator key.',
    });
  }
  return principal;
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
