/**
 * The API's front door: `GET /` answers a small JSON index of links, and
 * `GET /docs` is an interactive reference (Swagger UI) rendered from the app's
 * own OpenAPI document. Every asset of the page (JS, CSS, icons) is served by
 * this app from node_modules (@fastify/swagger-ui bundles swagger-ui-dist), so
 * the page loads with no request to another host. None of these routes needs
 * an API key, and none appears in the OpenAPI document.
 */
import swaggerUi from '@fastify/swagger-ui';
import { HIDDEN_FROM_OPENAPI } from '@steadfast/toolkit/problems';
import type { FastifyInstance } from 'fastify';

export const DOCS_PATH = '/docs';

/** absolute paths, so a client can follow them from any base URL */
export const INDEX_LINKS = {
  api: '/v1/orders',
  docs: DOCS_PATH,
  openapi: '/openapi.json',
  problems: '/problems',
  health: '/healthz',
  ready: '/readyz',
  metrics: '/metrics',
} as const;

/** Registers `/` and `/docs`; call after @fastify/swagger and before `ready()`. */
export async function registerApiReference(app: FastifyInstance): Promise<void> {
  app.get('/', { schema: HIDDEN_FROM_OPENAPI }, async () => {
    const { info } = app.swagger() as { info?: { title?: string; version?: string } };
    return { name: info?.title ?? 'Steadfast Orders API', version: info?.version ?? '', links: INDEX_LINKS };
  });

  await app.register(swaggerUi, {
    routePrefix: DOCS_PATH,
    // the UI reads `${DOCS_PATH}/json`: the same `app.swagger()` that /openapi.json serves
    uiConfig: {
      deepLinking: true,
      // no badge from validator.swagger.io: the page must not call other hosts
      validatorUrl: null,
      displayRequestDuration: true,
    },
    theme: { title: 'Steadfast Orders API — reference' },
  });
}
