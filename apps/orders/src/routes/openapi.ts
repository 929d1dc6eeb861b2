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
        // the newest API version (each version's document: /openapi.json?version=…)
        version: options.versions?.newest ?? '1.0.0',
        description: 'Errors are application/problem+json; see /problems for every type.',
      },
      components: { securitySchemes: { apiKey: { type: 'http', scheme: 'bearer' } } },
      security: [{ apiKey: [] }],
    },
    // every registered problem type, so clients can generate handling for each
    // every status a route can answer, the ones the framework adds included
    transformObject: (document) => {
      const shaped = shapeOpenApi(
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
      );
      // the newest version's document: it asks for that version (each older one: /openapi.json?version=…)
      if (options.versions) withVersionHeader(shaped as OpenApiDocument, options.versions.newest);
      return shaped;
    },
  });
  const byVersion = new Map<string, unknown>();
  server.get('/openapi.json', { schema: { hide: true } }, async (request) => {
    const versions = options.versions;
    if (!versions) return server.swagger();
    const asked = (request.query as { version?: string }).version;
    if (asked === undefined) return server.swagger();
    const { version, problem } = versions.resolve(asked);
    if (problem) throw problem;
    let document = byVersion.get(version);
    if (!document) {
      document = withoutUnusedComponents(
        withVersionHeader(versions.documentFor(version, server.swagger() as OpenApiDocument), version),
      );
      byVersion.set(version, document);
    }
    return document;
  });
}

/** a version's document asks for that version: a client generated from it (or a checker) sends it */
function withVersionHeader(document: OpenApiDocument, version: string): OpenApiDocument {
  const parameters = (
    document.components as { parameters?: Record<string, { schema?: unknown }> } | undefined
  )?.parameters;
  const header = parameters?.SteadfastVersion;
  if (header)
    header.schema = { type: 'string', enum: [version], description: 'the version of this document' };
  return document;
}

/**
 * An older version's document inlines the schemas of the operations a change touches: components no
 * operation refers to any more are dropped, so the document lists only what it uses.
 */
function withoutUnusedComponents(document: OpenApiDocument): OpenApiDocument {
  const components = document.components as Record<string, Record<string, unknown>> | undefined;
  if (!components) return document;
  for (let changed = true; changed; ) {
    changed = false;
    const { components: _all, ...rest } = document as Record<string, unknown>;
    const uses = new Set<string>();
    const collect = (value: unknown): void => {
      if (Array.isArray(value)) for (const v of value) collect(v);
      else if (value && typeof value === 'object')
        for (const [k, v] of Object.entries(value)) {
          if (k === '$ref' && typeof v === 'string') uses.add(v);
          else collect(v);
        }
    };
    collect(rest);
    for (const [kind, entries] of Object.entries(components)) {
      if (kind === 'securitySchemes') continue;
      for (const value of Object.values(entries)) collect(value);
    }
    for (const [kind, entries] of Object.entries(components)) {
      if (kind === 'securitySchemes') continue;
      for (const name of Object.keys(entries)) {
        if (!uses.has(`#/components/${kind}/${name}`)) {
          delete entries[name];
          changed = true;
        }
      }
    }
  }
  return document;
}
