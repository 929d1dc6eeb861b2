/**
 * The OpenAPI document at /openapi.json, generated from the route schemas:
 * every registered problem type (`x-problem-types`), and every status a route
 * can answer, the framework's and authentication's (401/403, and 429 when
 * failed authentications are throttled or tenants rate-limited) included.
 * Then shaped for code generators (openapi-shape.ts): operationIds, named
 * schemas by `$ref`, servers, response headers, merge-patch PATCH bodies, the
 * operation result typed per kind.
 * Register before the routes: the document collects them as they are added.
 */
import swagger from '@fastify/swagger';
import { type ProblemRegistry, withFrameworkProblems } from '@steadfast/toolkit/problems';
import type { ApiVersions, OpenApiDocument } from '@steadfast/toolkit/versioning';
import type { FastifyInstance } from 'fastify';
import { withAuthProblems } from './auth-responses.ts';
import { type ServerEntry, shapeOpenApi } from './openapi-shape.ts';

export async function registerOpenApi(
  server: FastifyInstance,
  options: {
    registry: ProblemRegistry;
    throttled: boolean;
    servers?: ServerEntry[];
    /** dated API versions: `/openapi.json?version=YYYY-MM-DD` is that version's document (default the newest) */
    versions?: ApiVersions;
  },
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
      shapeOpenApi(
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
        { servers: options.servers },
      ),
  });
  const byVersion = new Map<string, unknown>();
  server.get('/openapi.json', { schema: { hide: true } }, async (request) => {
    const versions = options.versions;
    if (!versions) return server.swagger();
    const asked = (request.query as { version?: string }).version;
    const { version, problem } = versions.resolve(asked ?? versions.newest);
    if (problem) throw problem;
    let document = byVersion.get(version);
    if (!document) {
      document = versions.documentFor(version, server.swagger() as OpenApiDocument);
      byVersion.set(version, document);
    }
    return document;
  });
}
