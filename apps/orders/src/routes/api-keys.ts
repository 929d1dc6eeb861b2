/**
 * A tenant manages its own API keys: GET /v1/api-keys (cursor pages),
 * POST /v1/api-keys { name, expiresAt? } → 201 with the secret once,
 * POST /v1/api-keys/{id}/revoke, POST /v1/api-keys/{id}/rotate { overlapS? }.
 * The secret is never stored in clear, not even in the idempotency record: a
 * replay of a create answers the key's metadata with `apiKey: null` and says
 * why. A revoke or rotate takes effect in this process at once and in every
 * other one through the key-change notification.
 */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import {
  type ApiKeyInfo,
  type ApiKeyVerifier,
  createApiKey,
  findApiKey,
  listApiKeys,
  requireTenant,
  revokeApiKey,
  rotateApiKey,
} from '@steadfast/toolkit/auth';
import { IDEMPOTENCY_KEY_HEADER } from '@steadfast/toolkit/idempotency';
import { idPattern } from '@steadfast/toolkit/ids';
import { ProblemError, problemResponses } from '@steadfast/toolkit/problems';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { DEFAULT_PAGE_LIMIT, decodeCursor, PageLimit, pageOf } from './cursor.ts';
import type { OrderRouteDeps } from './deps.ts';

const Nullable = <T extends ReturnType<typeof Type.String>>(t: T) => Type.Union([t, Type.Null()]);
const Timestamp = Type.String({ format: 'date-time' });
const ApiKeyFields = {
  id: Type.String(),
  name: Nullable(Type.String()),
  prefix: Type.String({ description: 'the first 7 characters of the key, to recognise it' }),
  scopes: Type.Array(Type.String()),
  createdAt: Timestamp,
  lastUsedAt: Nullable(Timestamp),
  expiresAt: Nullable(Timestamp),
  revokedAt: Nullable(Timestamp),
};
const ApiKeySchema = Type.Object(ApiKeyFields, { title: 'ApiKey' });
const NewApiKeySchema = Type.Object(
  {
    ...ApiKeyFields,
    apiKey: Nullable(Type.String({ description: 'the secret, shown once: only in the first answer' })),
    secretOmitted: Nullable(Type.String({ description: 'why apiKey is null (an idempotent replay)' })),
  },
  { title: 'NewApiKey' },
);
const Params = Type.Object({ id: Type.String({ pattern: idPattern('key') }) });
const KEY_HEADERS = {
  type: 'object',
  properties: IDEMPOTENCY_KEY_HEADER,
  required: ['idempotency-key'],
} as const;
const OMITTED =
  'The secret is shown only in the first answer and is not stored; if it was lost, revoke this key and create another.';

const notFound = (id: string) => new ProblemError('not-found', { detail: `No API key ${id}.` });

/** the first answer shows the secret; the stored one (what replays get) does not */
function withSecret(info: ApiKeyInfo, apiKey: string | undefined) {
  return { ...info, apiKey: apiKey ?? null, secretOmitted: apiKey === undefined ? OMITTED : null };
}

export function registerApiKeyRoutes(
  app: FastifyInstance,
  deps: OrderRouteDeps,
  auth: { verifier?: ApiKeyVerifier },
): void {
  const typed = app.withTypeProvider<TypeBoxTypeProvider>();
  typed.get(
    '/v1/api-keys',
    {
      schema: {
        summary: "This tenant's API keys, newest first (revoked and expired ones included; never the secret)",
        tags: ['api-keys'],
        querystring: Type.Object(
          { limit: PageLimit, cursor: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_-]{1,200}$' })) },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({ data: Type.Array(ApiKeySchema), nextCursor: Nullable(Type.String()) }),
          ...problemResponses(400, 401, 403),
        },
      },
    },
    async (request) => {
      const { tenantId } = requireTenant(request);
      const { limit, cursor } = request.query;
      const rows = await listApiKeys(
        deps.db,
        { tenantId },
        {
          limit: (limit ?? DEFAULT_PAGE_LIMIT) + 1,
          beforeId: cursor ? decodeCursor(cursor, 'key') : undefined,
        },
      );
      const page = pageOf(rows, limit);
      return { data: page.rows, nextCursor: page.nextCursor };
    },
  );
  typed.post(
    '/v1/api-keys',
    {
      config: { idempotency: true },
      schema: {
        summary: 'Create an API key for this tenant → 201 with the secret, shown once',
        tags: ['api-keys'],
        headers: KEY_HEADERS,
        body: Type.Object(
          {
            name: Type.String({ minLength: 1, maxLength: 100 }),
            expiresAt: Type.Optional(
              Type.String({ format: 'date-time', description: 'when the key stops working' }),
            ),
          },
          { additionalProperties: false },
        ),
        response: { 201: NewApiKeySchema, ...problemResponses(400, 401, 403, 409, 422) },
      },
    },
    async (request, reply) => {
      const { tenantId } = requireTenant(request);
      const { name, expiresAt } = request.body;
      if (expiresAt !== undefined && Date.parse(expiresAt) <= deps.clock.now()) {
        throw new ProblemError('validation-failed', {
          detail: 'expiresAt must be in the future.',
          errors: [{ pointer: '/expiresAt', message: 'must be in the future', in: 'body' }],
        });
      }
      let secret: string | undefined;
      return deps.idempotency.run(
        request,
        reply,
        async (tx) => {
          const created = await createApiKey(tx, deps.ids, {
            tenantId,
            name,
            expiresAt: expiresAt === undefined ? undefined : new Date(expiresAt),
          });
          const { apiKey, ...info } = created;
          secret = apiKey;
          return { status: 201, body: withSecret(info, undefined) };
        },
        {
          afterCommit: async (result) =>
            secret === undefined
              ? undefined
              : { ...result, body: withSecret(result.body as ApiKeyInfo & { apiKey: unknown }, secret) },
        },
      );
    },
  );
  typed.post(
    '/v1/api-keys/:id/revoke',
    {
      config: { idempotency: true },
      schema: {
        summary: 'Revoke an API key of this tenant (the key in use too): refused from the next request on',
        tags: ['api-keys'],
        params: Params,
        headers: KEY_HEADERS,
        response: { 200: ApiKeySchema, ...problemResponses(400, 401, 403, 404, 409, 422) },
      },
    },
    async (request, reply) => {
      const { tenantId } = requireTenant(request);
      const { id } = request.params;
      return deps.idempotency.run(
        request,
        reply,
        async (tx) => {
          await revokeApiKey(tx, { tenantId }, id); // false when already revoked: the answer is the same
          const key = await findApiKey(tx, { tenantId }, id);
          if (!key) throw notFound(id);
          return { status: 200, body: key };
        },
        { afterCommit: async () => void auth.verifier?.invalidate(id) },
      );
    },
  );
  typed.post(
    '/v1/api-keys/:id/rotate',
    {
      config: { idempotency: true },
      // a bodyless POST is an action with the defaults
      preValidation: async (request) => {
        if (request.body === undefined) request.body = {};
      },
      schema: {
        summary:
          'A new key with the same name and scopes; the old one keeps working for overlapS (default 24 h)',
        tags: ['api-keys'],
        params: Params,
        headers: KEY_HEADERS,
        body: Type.Object(
          { overlapS: Type.Optional(Type.Integer({ minimum: 0, maximum: 2_592_000, default: 86_400 })) },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({ created: NewApiKeySchema, previous: ApiKeySchema }),
          ...problemResponses(400, 401, 403, 404, 409, 422),
        },
      },
    },
    async (request, reply) => {
      const { tenantId } = requireTenant(request);
      const { id } = request.params;
      let secret: string | undefined;
      return deps.idempotency.run(
        request,
        reply,
        async (tx) => {
          const rotated = await rotateApiKey(tx, deps.ids, { tenantId }, id, {
            overlapS: request.body?.overlapS,
          });
          if (!rotated) {
            const existing = await findApiKey(tx, { tenantId }, id);
            if (!existing) throw notFound(id);
            throw new ProblemError('api-key-inactive', {
              detail: `API key ${id} is ${existing.revokedAt ? 'revoked' : 'expired'}; create a new one instead.`,
            });
          }
          const { apiKey, ...info } = rotated.created;
          secret = apiKey;
          return { status: 200, body: { created: withSecret(info, undefined), previous: rotated.previous } };
        },
        {
          afterCommit: async (result) => {
            auth.verifier?.invalidate(id);
            if (secret === undefined) return undefined;
            const body = result.body as { created: ApiKeyInfo; previous: ApiKeyInfo };
            return { ...result, body: { ...body, created: withSecret(body.created, secret) } };
          },
        },
      );
    },
  );
}
