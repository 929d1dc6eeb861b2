/**
 * The OpenAPI document at /openapi.json, generated from the route schemas:
 * every registered problem type (`x-problem-types`), and every status a route
 * can answer, the framework's and authentication's (401/403, and 429 when
 * failed authentications are throttled or tenants rate-limited) included.
 * Register before the routes: the document collects them as they are added.
 */
import swagger from '@fastify/swagger';
import { type ProblemRegistry, withFrameworkProblems } from '@steadfast/toolkit/problems';
import type { FastifyInstance } from 'fastify';
import { withAuthProblems } from './auth-responses.ts';

export async function registerOpenApi(
  server: FastifyInstance,
  options: { registry: ProblemRegistry; throttled: boolean },
): Promise<void> {
  await server.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Steadfast Orders API',
        version: '1.0.0',
        description: 'Errors are application/problem+json; see /problems for every type.',
      },
      components: { securitySchemes: { apiKey: { type: 'http', scheme: 'bearer' } } },
      security: [{ apiKey: [] }],
    },
    // every registered problem type, so clients can generate handling for each
    // every status a route can answer, the ones the framework adds included
    transformObject: (document) =>
      withAuthProblems(
        withFrameworkProblems({
          ...('openapiObject' in document ? document.openapiObject : {}),
          'x-problem-types': options.registry.all().map(({ description: _d, ...type }) => ({
            ...type,
            type: `/problems/${type.slug}`,
          })),
        }),
        {
          prefix: '/v1/',
          throttled: options.throttled,
        },
      ),
  });
  server.get('/openapi.json', { schema: { hide: true } }, async () => server.swagger());
}
