/** Usage of @steadfast/toolkit/versioning on a bare Fastify app: two routes, three dated versions, a deprecated one, usage of old versions. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createBackgroundErrors, createLogger } from '@steadfast/toolkit/observability';
import { migrate } from '@steadfast/toolkit/postgres';
import { coreProblems, createProblemRegistry, ProblemError, problems } from '@steadfast/toolkit/problems';
import { createFakeClock, createTestDatabase, type TestDatabase } from '@steadfast/toolkit/testing';
import {
  apiVersioning,
  createVersionUsage,
  defineApiVersions,
  type JsonSchema,
  type OpenApiDocument,
  readVersionUsage,
  type VersionUsage,
  versioningMigrations,
  versioningProblems,
} from '@steadfast/toolkit/versioning';
import Fastify, { type FastifyInstance } from 'fastify';
import { Registry } from 'prom-client';

declare module 'fastify' {
  interface FastifyRequest {
    tenant: string | undefined;
  }
}

// docs:start versions
/** for the OpenAPI document of older versions: the same change on a JSON Schema */
function renameProperty(schema: JsonSchema, from: string, to: string): JsonSchema {
  const { [from]: moved, ...properties } = schema.properties as Record<string, JsonSchema>;
  const required = (schema.required as string[] | undefined)?.map((p) => (p === from ? to : p));
  return { ...schema, properties: { ...properties, [to]: moved }, ...(required ? { required } : {}) };
}

const versions = defineApiVersions({
  // header: 'Steadfast-Version' is the default
  versions: ['2026-06-01', '2026-09-01', '2026-12-01'], // oldest → newest
  changes: [
    {
      version: '2026-09-01',
      description: '`fullName` is renamed `name`',
      routes: ['POST /contacts', 'GET /contacts/:id'],
      // an older client's body → this version's shape
      request: ({ fullName, ...rest }) => ({ ...rest, name: fullName }),
      // this version's body → the shape before it
      response: (body, { problem }) => {
        if (problem) return body;
        const { name, ...rest } = body;
        return { ...rest, fullName: name };
      },
      schema: {
        request: (schema) => renameProperty(schema, 'name', 'fullName'),
        response: (schema, status) =>
          status === '201' || status === '200' ? renameProperty(schema, 'name', 'fullName') : schema,
      },
      // outgoing notifications change with it
      events: (type, payload) => {
        if (type !== 'contact.created') return payload;
        const { name, ...rest } = payload;
        return { ...rest, fullName: name };
      },
    },
    {
      version: '2026-12-01',
      description: '`name` becomes `{ given, family }`',
      routes: ['POST /contacts', 'GET /contacts/:id'],
      request: ({ name, ...rest }) => {
        const [given, ...family] = String(name).split(' ');
        return { ...rest, name: { given, family: family.join(' ') } };
      },
      response: (body, { problem }) =>
        problem ? body : { ...body, name: `${body.name.given} ${body.name.family}`.trim() },
      schema: {
        request: (schema) => ({
          ...schema,
          properties: { ...(schema.properties as object), name: { type: 'string' } },
        }),
        response: (schema, status) =>
          status.startsWith('2')
            ? { ...schema, properties: { ...(schema.properties as object), name: { type: 'string' } } }
            : schema,
      },
      events: (type, payload) =>
        type === 'contact.created'
          ? { ...payload, name: `${payload.name.given} ${payload.name.family}`.trim() }
          : payload,
    },
  ],
  deprecations: {
    '2026-06-01': {
      deprecatedAt: '2026-12-01T00:00:00Z',
      sunsetAt: '2027-06-01T00:00:00Z',
      link: 'https://example.com/docs/versioning#upgrading',
    },
  },
});
// docs:end versions

const pinned = new Map([['old-tenant', '2026-06-01']]);
const clock = createFakeClock(Date.UTC(2027, 0, 15));

// docs:start app
async function buildApp(registry: Registry, usage: VersionUsage): Promise<FastifyInstance> {
  const app = Fastify();
  await app.register(problems, {
    registry: createProblemRegistry(coreProblems, versioningProblems),
  });
  // your authentication first: pinnedVersion reads the principal it sets
  app.decorateRequest('tenant', undefined);
  app.addHook('onRequest', async (request) => {
    request.tenant = request.headers['x-tenant'] as string | undefined;
  });
  await app.register(apiVersioning, {
    versions,
    pinnedVersion: (request) => pinned.get(request.tenant ?? ''), // e.g. a column of the tenant
    registry,
    clock,
    usage: { recorder: usage, partitionOf: (request) => request.tenant },
  });

  // the routes implement the NEWEST shape only
  const contacts = new Map<string, { id: string; name: { given: string; family: string } }>();
  const Name = {
    type: 'object',
    required: ['given', 'family'],
    additionalProperties: false,
    properties: { given: { type: 'string', minLength: 1 }, family: { type: 'string' } },
  };
  app.post<{ Body: { name: { given: string; family: string } } }>(
    '/contacts',
    {
      schema: {
        body: { type: 'object', required: ['name'], additionalProperties: false, properties: { name: Name } },
      },
    },
    async (request, reply) => {
      const contact = { id: `c${contacts.size + 1}`, name: request.body.name };
      contacts.set(contact.id, contact);
      return reply.code(201).send(contact);
    },
  );
  app.get<{ Params: { id: string } }>('/contacts/:id', async (request) => {
    const contact = contacts.get(request.params.id);
    if (!contact) throw new ProblemError('not-found', { detail: `No contact ${request.params.id}.` });
    return contact;
  });
  return app;
}
// docs:end app

let db: TestDatabase;
let app: FastifyInstance;
let usage: VersionUsage;
const registry = new Registry();

before(async () => {
  db = await createTestDatabase({ template: 'template0' });
  // docs:start start
  await migrate(db.pool, [...versioningMigrations]); // the usage table
  usage = createVersionUsage({
    db: db.pool,
    errors: createBackgroundErrors({ log: createLogger(), registry }),
    flushIntervalMs: 60_000, // default 10 000
  });
  app = await buildApp(registry, usage);
  await app.ready(); // starts the usage recorder
  // docs:end start
});
after(async () => {
  await app?.close();
  await db?.close();
});

const send = (
  method: 'GET' | 'POST',
  url: string,
  options: { tenant?: string; version?: string; body?: object } = {},
) =>
  app.inject({
    method,
    url,
    headers: {
      'x-tenant': options.tenant ?? 'acme',
      ...(options.version === undefined ? {} : { 'steadfast-version': options.version }),
    },
    ...(options.body ? { payload: options.body } : {}),
  });

describe('dated API versions', () => {
  test('without a header or a pinned version the newest answers, and says so', async () => {
    const created = await send('POST', '/contacts', { body: { name: { given: 'Ada', family: 'Lovelace' } } });
    assert.equal(created.statusCode, 201);
    assert.equal(created.headers['steadfast-version'], '2026-12-01');
    assert.equal(created.body, '{"id":"c1","name":{"given":"Ada","family":"Lovelace"}}');
    assert.equal(created.headers.deprecation, undefined);
  });

  test('an older client writes and reads its own shape, on the same data', async () => {
    const created = await send('POST', '/contacts', {
      version: '2026-09-01',
      body: { name: 'Grace Hopper' },
    });
    assert.equal(created.statusCode, 201);
    assert.equal(created.headers['steadfast-version'], '2026-09-01');
    assert.deepEqual(created.json(), { id: 'c2', name: 'Grace Hopper' });
    const newest = await send('GET', '/contacts/c2');
    assert.deepEqual(newest.json(), { id: 'c2', name: { given: 'Grace', family: 'Hopper' } });
    const oldest = await send('GET', '/contacts/c2', { version: '2026-06-01' });
    assert.deepEqual(oldest.json(), { id: 'c2', fullName: 'Grace Hopper' });
  });

  test('a tenant pinned to a deprecated version gets it, with Deprecation, Sunset and Link', async () => {
    const response = await send('GET', '/contacts/c1', { tenant: 'old-tenant' });
    assert.equal(response.statusCode, 200);
    assert.deepEqual(response.json(), { id: 'c1', fullName: 'Ada Lovelace' });
    assert.equal(response.headers['steadfast-version'], '2026-06-01');
    assert.equal(response.headers.deprecation, '@1796083200');
    assert.equal(response.headers.sunset, 'Tue, 01 Jun 2027 00:00:00 GMT');
    assert.equal(response.headers.link, '<https://example.com/docs/versioning#upgrading>; rel="deprecation"');
    assert.match(
      await registry.getSingleMetricAsString('steadfast_api_version_requests_total'),
      /steadfast_api_version_requests_total\{version="2026-06-01",deprecated="true"\} 2$/m, // one from acme above
    );
  });

  test('an unknown version → 400 version-unsupported listing the supported ones', async () => {
    const response = await send('GET', '/contacts/c1', { version: '2026-07-01' });
    assert.equal(response.statusCode, 400);
    const body = response.json();
    assert.equal(body.type, '/problems/version-unsupported');
    assert.equal(
      body.detail,
      'Steadfast-Version 2026-07-01 is not a version of this API. Supported versions: 2026-06-01, 2026-09-01, 2026-12-01.',
    );
    assert.deepEqual(body.supportedVersions, ['2026-06-01', '2026-09-01', '2026-12-01']);
  });

  test('after its sunset a version answers 410 version-sunset', async () => {
    clock.set(Date.UTC(2027, 5, 1));
    try {
      const response = await send('GET', '/contacts/c1', { version: '2026-06-01' });
      assert.equal(response.statusCode, 410);
      assert.equal(response.json().type, '/problems/version-sunset');
      assert.equal(response.json().newestVersion, '2026-12-01');
    } finally {
      clock.set(Date.UTC(2027, 0, 15));
    }
  });

  test('the OpenAPI document and the event payloads of an older version', () => {
    const newestDocument: OpenApiDocument = {
      openapi: '3.1.0',
      info: { title: 'Contacts', version: '2026-12-01' },
      paths: {
        '/contacts/{id}': {
          get: {
            responses: {
              '200': {
                content: {
                  'application/json': {
                    schema: {
                      type: 'object',
                      required: ['id', 'name'],
                      properties: { id: { type: 'string' }, name: { $ref: '#/components/schemas/Name' } },
                    },
                  },
                },
              },
            },
          },
        },
        '/healthz': { get: { responses: { '200': { description: 'up' } } } },
      },
      components: { schemas: { Name: { type: 'object', properties: { given: {}, family: {} } } } },
    };
    // docs:start openapi
    const document = versions.documentFor('2026-06-01', newestDocument); // e.g. for /openapi.json?version=…
    const notification = versions.transformEvent('2026-06-01', 'contact.created', {
      id: 'c1',
      name: { given: 'Ada', family: 'Lovelace' },
    }); // → { id: 'c1', fullName: 'Ada Lovelace' }
    // docs:end openapi
    assert.equal(document.info?.version, '2026-06-01');
    assert.deepEqual(document.paths?.['/contacts/{id}'].get, {
      responses: {
        '200': {
          content: {
            'application/json': {
              schema: {
                type: 'object',
                required: ['id', 'fullName'],
                properties: { id: { type: 'string' }, fullName: { type: 'string' } },
              },
            },
          },
        },
      },
    });
    assert.deepEqual(document.paths?.['/healthz'], newestDocument.paths?.['/healthz']);
    assert.equal(newestDocument.info?.version, '2026-12-01', 'the source document is not changed');
    assert.deepEqual(notification, { id: 'c1', fullName: 'Ada Lovelace' });
  });

  test('the changelog, newest first', () => {
    // docs:start changelog
    const changelog = versions.changelog();
    // docs:end changelog
    assert.deepEqual(changelog, [
      {
        version: '2026-12-01',
        changes: [
          {
            description: '`name` becomes `{ given, family }`',
            routes: ['POST /contacts', 'GET /contacts/:id'],
          },
        ],
      },
      {
        version: '2026-09-01',
        changes: [
          { description: '`fullName` is renamed `name`', routes: ['POST /contacts', 'GET /contacts/:id'] },
        ],
      },
      {
        version: '2026-06-01',
        deprecation: {
          deprecatedAt: '2026-12-01T00:00:00Z',
          sunsetAt: '2027-06-01T00:00:00Z',
          link: 'https://example.com/docs/versioning#upgrading',
        },
        changes: [],
      },
    ]);
  });

  test('who still calls a deprecated version: one row per (tenant, version) after a flush', async () => {
    // docs:start usage
    await usage.flush(); // also every flushIntervalMs, and at app.close()
    const stragglers = await readVersionUsage(db.pool, { versions, deprecatedOnly: true });
    // → [{ partition: 'old-tenant', version: '2026-06-01', requests, firstSeenAt, lastSeenAt, deprecated: true }]
    // docs:end usage
    assert.deepEqual(
      stragglers.map((r) => [r.partition, r.version, r.requests, r.deprecated]),
      [
        ['acme', '2026-06-01', 2, true], // the 410 after the sunset counts too
        ['old-tenant', '2026-06-01', 1, true],
      ],
    );
    const all = await readVersionUsage(db.pool, { partition: 'acme' });
    assert.deepEqual(all.map((r) => [r.version, r.requests]).sort(), [
      ['2026-06-01', 2],
      ['2026-09-01', 1],
      ['2026-12-01', 2],
    ]);
  });
});
