/**
 * A tenant's API version: GET /v1/api-version (the pinned version, the newest,
 * and every supported one with its deprecation), PUT /v1/api-version
 * { version } to pin another (an unknown one → 422 api-version-unknown,
 * nothing changed). Operators have no version of their own (403). GET /versions
 * (no key) lists every version, its deprecation and the changelog: where the
 * `Link: <…>; rel="deprecation"` of a deprecated version's answers points.
 */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { requireTenant } from '@steadfast/toolkit/auth';
import { HIDDEN_FROM_OPENAPI, ProblemError, problemResponses } from '@steadfast/toolkit/problems';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import type { VersionPins } from '../api-version-pins.ts';
import type { OrdersApiVersions } from '../api-versions.ts';

const VersionDate = Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$', description: 'YYYY-MM-DD' });
const Nullable = <T extends ReturnType<typeof Type.String>>(t: T) => Type.Union([t, Type.Null()]);
const ApiVersionSchema = Type.Object(
  {
    version: VersionDate,
    pinned: Type.Boolean({ description: 'false: never pinned, the first version applies' }),
    pinnedAt: Nullable(Type.String({ format: 'date-time' })),
    newest: VersionDate,
    supported: Type.Array(
      Type.Object({
        version: VersionDate,
        deprecatedAt: Nullable(Type.String({ format: 'date-time' })),
        sunsetAt: Nullable(Type.String({ format: 'date-time' })),
      }),
      { description: 'oldest first' },
    ),
  },
  { title: 'ApiVersion' },
);

export function registerApiVersionRoutes(
  app: FastifyInstance,
  deps: { versions: OrdersApiVersions; pins: VersionPins },
): void {
  const typed = app.withTypeProvider<TypeBoxTypeProvider>();
  const { versions, pins } = deps;
  const iso = (ms: number | undefined) => (ms === undefined ? null : new Date(ms).toISOString());
  const supported = versions.versions.map((version) => {
    const deprecation = versions.deprecationOf(version);
    return {
      version,
      deprecatedAt: iso(deprecation?.deprecatedAtMs),
      sunsetAt: iso(deprecation?.sunsetAtMs),
    };
  });
  const answer = (pin: { version: string; pinned: boolean; pinnedAt: string | null }) => ({
    ...pin,
    newest: versions.newest,
    supported,
  });

  // no key needed: what a Deprecation header's Link points at
  app.get('/versions', { schema: HIDDEN_FROM_OPENAPI }, async () => ({
    header: versions.header,
    newest: versions.newest,
    supported,
    changelog: versions.changelog(),
    documents: Object.fromEntries(versions.versions.map((v) => [v, `/openapi.json?version=${v}`])),
  }));
  typed.get(
    '/v1/api-version',
    {
      schema: {
        summary: 'The API version your tenant is pinned to',
        description:
          'Requests without a `Steadfast-Version` header are answered in this version. A tenant created before versions existed speaks the first one.',
        tags: ['api-version'],
        response: { 200: ApiVersionSchema, ...problemResponses(401, 403) },
      },
    },
    async (request) => answer(await pins.pinOf(requireTenant(request).tenantId)),
  );
  typed.put(
    '/v1/api-version',
    {
      schema: {
        summary: 'Pin your tenant to another API version',
        description:
          'Upgrading changes the answers of every request that sends no `Steadfast-Version` header: try the new version first by sending the header, then pin it.',
        tags: ['api-version'],
        body: Type.Object({ version: Type.String({ maxLength: 40 }) }, { additionalProperties: false }),
        response: { 200: ApiVersionSchema, ...problemResponses(400, 401, 403, 422) },
      },
    },
    async (request) => {
      const { tenantId } = requireTenant(request);
      const { version } = request.body;
      if (!versions.versions.includes(version)) {
        throw new ProblemError('api-version-unknown', {
          detail: `${JSON.stringify(version)} is not a supported API version; supported: ${versions.versions.join(', ')}.`,
          errors: [{ pointer: '/version', message: 'is not a supported version', in: 'body' }],
          extensions: { supportedVersions: [...versions.versions] },
        });
      }
      return answer(await pins.pin(tenantId, version));
    },
  );
}
