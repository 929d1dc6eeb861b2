/** The apiVersioning plugin on a bare Fastify app: upgrade before validation, downgrade in onSend, headers, sunsets. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import { Registry } from 'prom-client';
import { coreProblems, createProblemRegistry, ProblemError, problems } from '../problems/index.ts';
import { createFakeClock } from '../testing/index.ts';
import { apiVersioning } from './plugin.ts';
import { versioningProblems } from './problems.ts';
import { defineApiVersions } from './versions.ts';

const ROUTES = ['POST /items', 'GET /items/:id', 'GET /raw/:kind', 'GET /broken'];
const versions = defineApiVersions({
  versions: ['2026-06-01', '2026-09-01', '2026-12-01'],
  changes: [
    {
      version: '2026-09-01',
      description: 'title is renamed label',
      routes: ROUTES,
      request: ({ title, ...rest }) => ({ ...rest, label: title }),
      response: (body, { problem }) => {
        if (problem) return body;
        const { label, ...rest } = body;
        return { ...rest, title: label };
      },
    },
    {
      version: '2026-12-01',
      description: 'label becomes { text }',
      routes: ROUTES,
      request: (body) => ({ ...body, label: { text: body.label } }),
      response: (body, { problem, route }) => {
        if (route === '/broken') throw new Error('a bug in a change');
        return problem ? body : { ...body, label: body.label.text };
      },
    },
  ],
  deprecations: {
    '2026-06-01': {
      deprecatedAt: '2026-12-01T00:00:00Z',
      sunsetAt: '2027-06-01T00:00:00Z',
      link: 'https://example.com/versioning#upgrading',
    },
    '2026-09-01': { deprecatedAt: '2027-03-01T00:00:00Z', link: '/docs/versioning' },
  },
});

const clock = createFakeClock(Date.UTC(2027, 0, 15));
const registry = new Registry();
let handled = 0;
let app: FastifyInstance;

const ITEM = {
  type: 'object',
  required: ['text'],
  additionalProperties: false,
  properties: { text: { type: 'string' } },
};

before(async () => {
  app = Fastify();
  await app.register(problems, { registry: createProblemRegistry(coreProblems, versioningProblems) });
  await app.register(apiVersioning, {
    versions,
    registry,
    clock,
    include: (request) => request.routeOptions.url !== undefined && !request.url.startsWith('/healthz'),
    pinnedVersion: async (request) => (request.headers['x-pinned'] as string | undefined) ?? undefined,
  });
  app.post(
    '/items',
    {
      schema: {
        body: {
          type: 'object',
          required: ['label'],
          additionalProperties: false,
          properties: { label: ITEM },
        },
      },
    },
    async (request, reply) => {
      handled++;
      return reply.code(201).send({ id: 'i1', ...(request.body as object) });
    },
  );
  app.get('/items/:id', async (request, reply) => {
    handled++;
    if ((request.params as { id: string }).id === 'missing')
      throw new ProblemError('not-found', { detail: 'No item missing.' });
    reply.header('Link', '</items?page=2>; rel="next"');
    return { id: 'i1', label: { text: 'hello' } };
  });
  // a stored answer sent as bytes (as an idempotent replay is), and a hand-formatted string
  app.get('/raw/:kind', async (request, reply) => {
    handled++;
    const text = '{ "id": "i1",  "label": {"text": "hello"} }';
    reply.type('application/json; charset=utf-8');
    return (request.params as { kind: string }).kind === 'buffer' ? Buffer.from(text) : text;
  });
  app.get('/broken', async () => ({ id: 'i1', label: { text: 'x' } }));
  app.get('/healthz', async () => ({ ok: true }));
  app.get(
    '/legacy',
    {
      config: {
        deprecated: {
          deprecatedAt: '2026-10-01T12:00:00Z',
          sunsetAt: '2027-02-01T00:00:00Z',
          link: 'https://example.com/legacy',
        },
      },
    },
    async () => {
      handled++;
      return { ok: true };
    },
  );
  await app.ready();
});
after(() => app.close());

const get = (url: string, version?: string, headers: Record<string, string> = {}) =>
  app.inject({
    method: 'GET',
    url,
    headers: { ...(version === undefined ? {} : { 'steadfast-version': version }), ...headers },
  });

describe('resolution', () => {
  test('header > pinned > newest, and the answer names it', async () => {
    assert.equal(
      (await get('/items/i1', '2026-09-01', { 'x-pinned': '2026-06-01' })).headers['steadfast-version'],
      '2026-09-01',
    );
    assert.equal(
      (await get('/items/i1', undefined, { 'x-pinned': '2026-06-01' })).headers['steadfast-version'],
      '2026-06-01',
    );
    assert.equal((await get('/items/i1')).headers['steadfast-version'], '2026-12-01');
  });

  for (const value of ['2026-07-01', '2026-13-01', 'yesterday', '2020-01-01', '']) {
    test(`${JSON.stringify(value)} → 400 version-unsupported listing the supported versions, nothing run`, async () => {
      const before = handled;
      const response = await get('/items/i1', value);
      assert.equal(response.statusCode, 400);
      assert.match(String(response.headers['content-type']), /^application\/problem\+json/);
      const body = response.json();
      assert.equal(body.type, '/problems/version-unsupported');
      assert.equal(body.category, 'validation');
      assert.equal(body.retryable, false);
      assert.deepEqual(body.supportedVersions, ['2026-06-01', '2026-09-01', '2026-12-01']);
      assert.match(body.detail, / Supported versions: 2026-06-01, 2026-09-01, 2026-12-01\.$/);
      assert.equal(response.headers['steadfast-version'], undefined, 'no version answered');
      assert.equal(handled, before);
    });
  }

  test('routes outside `include` are not versioned', async () => {
    const response = await get('/healthz', 'yesterday');
    assert.equal(response.statusCode, 200);
    assert.equal(response.headers['steadfast-version'], undefined);
  });
});

describe('request bodies are upgraded before validation', () => {
  const post = (version: string, payload: object) =>
    app.inject({ method: 'POST', url: '/items', headers: { 'steadfast-version': version }, payload });

  test('an old body, valid only after upgrading, passes — and the answer comes back in its shape', async () => {
    const response = await post('2026-06-01', { title: 'hi' });
    assert.equal(response.statusCode, 201);
    assert.equal(response.body, '{"id":"i1","title":"hi"}');
    assert.equal((await post('2026-09-01', { label: 'hi' })).body, '{"id":"i1","label":"hi"}');
  });

  test('a newest-shape body sent with an old version is translated as old, and fails validation', async () => {
    const response = await post('2026-06-01', { label: { text: 'hi' } });
    assert.equal(response.statusCode, 400);
    assert.equal(response.json().type, '/problems/validation-failed');
  });
});

describe('answers are downgraded in onSend', () => {
  test('through two changes, in order', async () => {
    assert.equal((await get('/items/i1', '2026-06-01')).body, '{"id":"i1","title":"hello"}');
    assert.equal((await get('/items/i1', '2026-09-01')).body, '{"id":"i1","label":"hello"}');
  });

  test('a Buffer payload (a stored answer) is downgraded too', async () => {
    const response = await get('/raw/buffer', '2026-06-01');
    assert.equal(response.body, '{"id":"i1","title":"hello"}');
    assert.equal(response.headers['content-length'], '27');
  });

  test('the newest client gets the very bytes the route sent', async () => {
    assert.equal(
      (await get('/raw/buffer', '2026-12-01')).body,
      '{ "id": "i1",  "label": {"text": "hello"} }',
    );
    assert.equal((await get('/raw/string')).body, '{ "id": "i1",  "label": {"text": "hello"} }');
  });

  test('a problem answer goes through the changes with problem: true (here untouched)', async () => {
    const response = await get('/items/missing', '2026-06-01');
    assert.equal(response.statusCode, 404);
    assert.equal(response.json().detail, 'No item missing.');
    assert.equal(response.headers['steadfast-version'], '2026-06-01');
  });

  test('a change that throws → 500 internal-error, logged, sent untranslated', async () => {
    const response = await get('/broken', '2026-09-01');
    assert.equal(response.statusCode, 500);
    assert.equal(response.json().type, '/problems/internal-error');
  });
});

describe('deprecation and sunset', () => {
  test('a deprecated version carries Deprecation, Sunset and Link (appended to the route’s Link)', async () => {
    const response = await get('/items/i1', '2026-06-01');
    assert.equal(response.headers.deprecation, '@1796083200');
    assert.equal(response.headers.sunset, 'Tue, 01 Jun 2027 00:00:00 GMT');
    assert.equal(
      response.headers.link,
      '</items?page=2>; rel="next", <https://example.com/versioning#upgrading>; rel="deprecation"',
    );
  });

  test('a deprecation without a sunset has no Sunset; the newest has none of them', async () => {
    const announced = await get('/items/i1', '2026-09-01');
    assert.equal(announced.headers.deprecation, '@1803859200');
    assert.equal(announced.headers.sunset, undefined);
    const newest = await get('/items/i1');
    assert.equal(newest.headers.deprecation, undefined);
    assert.equal(newest.headers.link, '</items?page=2>; rel="next"');
  });

  test('after the sunset → 410 version-sunset naming the newest version; the handler does not run', async () => {
    clock.set(Date.UTC(2027, 5, 1));
    try {
      const before = handled;
      const response = await get('/items/i1', '2026-06-01');
      assert.equal(response.statusCode, 410);
      const body = response.json();
      assert.equal(body.type, '/problems/version-sunset');
      assert.equal(body.newestVersion, '2026-12-01');
      assert.equal(
        body.detail,
        'Version 2026-06-01 was switched off at 2027-06-01T00:00:00.000Z; send Steadfast-Version: 2026-12-01 (the newest) or another supported version.',
      );
      assert.equal(response.headers.deprecation, '@1796083200');
      assert.equal(response.headers['steadfast-version'], undefined);
      assert.equal(handled, before);
      assert.equal((await get('/items/i1', '2026-09-01')).statusCode, 200);
    } finally {
      clock.set(Date.UTC(2027, 0, 15));
    }
  });

  test('a deprecated route carries the fields in every version, and answers 410 endpoint-sunset after its sunset', async () => {
    const response = await get('/legacy');
    assert.equal(response.statusCode, 200);
    assert.equal(response.headers.deprecation, '@1790856000');
    assert.equal(response.headers.sunset, 'Mon, 01 Feb 2027 00:00:00 GMT');
    assert.equal(response.headers.link, '<https://example.com/legacy>; rel="deprecation"');
    // version and route both deprecated: the earlier dates, both links
    const both = await get('/legacy', '2026-06-01');
    assert.equal(both.headers.deprecation, '@1790856000');
    assert.equal(both.headers.sunset, 'Mon, 01 Feb 2027 00:00:00 GMT');
    assert.equal(
      both.headers.link,
      '<https://example.com/versioning#upgrading>; rel="deprecation", <https://example.com/legacy>; rel="deprecation"',
    );
    clock.set(Date.UTC(2027, 1, 1));
    try {
      const before = handled;
      const gone = await get('/legacy');
      assert.equal(gone.statusCode, 410);
      assert.equal(gone.json().type, '/problems/endpoint-sunset');
      assert.equal(gone.json().category, 'not-found');
      assert.equal(handled, before);
    } finally {
      clock.set(Date.UTC(2027, 0, 15));
    }
  });

  test('the metric counts requests by version and deprecation', async () => {
    const text = await registry.getSingleMetricAsString('steadfast_api_version_requests_total');
    assert.match(text, /\{version="2026-12-01",deprecated="false"\} [1-9]/);
    assert.match(text, /\{version="2026-06-01",deprecated="true"\} [1-9]/);
    assert.match(
      text,
      /\{version="2026-12-01",deprecated="true"\} [1-9]/,
      'the newest on a deprecated route',
    );
  });

  test('a malformed route deprecation fails at registration', async () => {
    const bad = Fastify();
    await bad.register(apiVersioning, { versions });
    assert.throws(
      () => bad.get('/x', { config: { deprecated: { deprecatedAt: 'soon', link: '/x' } } }, async () => ({})),
      /route \/x config\.deprecated\.deprecatedAt: "soon" is not an RFC 3339 timestamp/,
    );
    await bad.close();
  });
});
