/**
 * Dated API versions in the Orders app (docs/versioning.md): the plugin on
 * every /v1 route (after auth: the pinned version is the tenant's; after
 * idempotency: the key's fingerprint is of the body as the client sent it, so
 * a retry landing on an older or newer release still matches), the tenants'
 * pins, and the recorder of who still calls which version (the console's
 * "API versions" page).
 */
import { principalScope } from '@steadfast/toolkit/auth';
import type { Clock } from '@steadfast/toolkit/ids';
import type { BackgroundErrors } from '@steadfast/toolkit/observability';
import type { Pool } from '@steadfast/toolkit/postgres';
import { apiVersioning, createVersionUsage, renderInVersion } from '@steadfast/toolkit/versioning';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Registry } from 'prom-client';
import { createVersionPins } from './api-version-pins.ts';
import { type OrdersApiVersions, ordersApiVersions } from './api-versions.ts';

export interface OrdersVersioning {
  versions: OrdersApiVersions;
  pins: ReturnType<typeof createVersionPins>;
  /**
   * what the idempotency engine stores: the answer in the version the client spoke, rendered once (the
   * first answer is not translated again on the way out), so a release that replays stored bytes as
   * they are (one from before versions) still answers in the client's shape.
   */
  storedBody: (request: FastifyRequest, result: { status: number; body: unknown }) => unknown;
}

export async function registerOrdersVersioning(
  server: FastifyInstance,
  deps: { db: Pool; clock: Clock; errors: BackgroundErrors; registry: Registry },
): Promise<OrdersVersioning> {
  const versions = ordersApiVersions();
  const pins = createVersionPins({ db: deps.db, clock: deps.clock });
  await server.register(apiVersioning, {
    versions,
    registry: deps.registry,
    clock: deps.clock,
    include: (request) => request.routeOptions.url?.startsWith('/v1/') ?? false,
    pinnedVersion: async (request) =>
      request.principal?.kind === 'tenant'
        ? (await pins.pinOf(request.principal.tenantId)).version
        : undefined,
    usage: {
      recorder: createVersionUsage({ db: deps.db, errors: deps.errors, clock: deps.clock }),
      partitionOf: (request) => (request.principal ? principalScope(request.principal) : undefined),
    },
  });
  return {
    versions,
    pins,
    storedBody: renderInVersion(versions),
  };
}
