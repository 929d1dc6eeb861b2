/** The apiVersioning plugin with its defaults (no include, no pinnedVersion), sunset answers in full, unmatched routes, a failed translation's log. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import { coreProblems, createProblemRegistry, problems } from '../problems/index.ts';
import { createFakeClock, createLogCapture } from '../testing/index.ts';
import { apiVersioning } from './plugin.ts';
import { versioningProblems } from './problems.ts';
import { defineApiVersions } from './versions.ts';

const versions = defineApiVersions({
  versions: ['2026-06-01', '2026-09-01', '2026-12-01'],
  changes: [
    {
      version: '2026-12-01',
      description: 'old clients get old: true',
      routes: ['GET /items', 'GET /broken'],
      response: (body, { route }) => {
        if (route === '/broken') throw new Error('a bug in a change');
        return { ...body, old: true };
      },
    },
  ],
  deprecations: {
    '2026-06-01': { deprecatedAt: '2026-12-01T00:00:00Z', sunsetAt: '2027-01-01T00:00:00Z', link: '/up' },
  },
});
const everyRoute = defineApiVersions({
  versions: ['2026-06-01', '2026-12-01'],
  changes: [
    {
      version: '2026-12-01',
      description: 'every answer',
      routes: ['*'],
      response: (body) => ({ ...body, old: true }),
    },
  ],
});

const clock = createFakeClock(Date.UTC(2027, 5, 1));
const logs = createLogCapture();
let app: FastifyInstance;
let unmatched: FastifyInstance;
let pinnedCalls = 0;
let pinnedApp: FastifyInstance;

before(async () => {
  app = Fastify({ logger: { level: 'error', stream: logs.stream } });
  await app.register(problems, { registry: createProblemRegistry(coreProblems, versioningProblems) });
  await app.register(apiVersioning, { versions, clock });
  app.get('/items', async () => ({ id: 'i1' }));
  app.get('/broken', async () => ({ id: 'i1' }));
  app.get(
    '/legacy',
    {
      config: {
        deprecated: { deprecatedAt: '2027-01-01T00:00:00Z', sunsetAt: '2027-02-01T00:00:00Z', link: '/next' },
      },
    },
    async () => ({ ok: true }),
  );
  await app.ready();

  unmatched = Fastify();
  await unmatched.register(problems, { registry: createProblemRegistry(coreProblems, versioningProblems) });
  await unmatched.register(apiVersioning, { versions: everyRoute, include: () => true });
  await unmatched.ready();

  pinnedApp = Fastify();
  await pinnedApp.register(apiVersioning, {
    versions,
    pinnedVersion: () => {
      pinnedCalls++;
      return '2026-09-01';
    },
  });
  pinnedApp.get('/items', async () => ({ id: 'i1' }));
  await pinnedApp.ready();
});
after(async () => {
  await app.close();
  await unmatched.close();
  await pinnedApp.close();
});

describe('defaults', () => {
  test('without pinnedVersion and without a header: the newest', async () => {
    const response = await app.inject({ method: 'GET', url: '/items' });
    assert.equal(response.statusCode, 200);
    assert.equal(response.headers['steadfast-version'], '2026-12-01');
    assert.equal(response.body, '{"id":"i1"}');
  });

  test('a request no route matched is not versioned by default', async () => {
    const response = await app.inject({
      method: 'GET',
      url: '/nope',
      headers: { 'steadfast-version': 'bad' },
    });
    assert.equal(response.statusCode, 404);
    assert.equal(response.headers['steadfast-version'], undefined);
  });

  test('pinnedVersion is asked only when the header is absent', async () => {
    const pinned = await pinnedApp.inject({ method: 'GET', url: '/items' });
    assert.equal(pinned.headers['steadfast-version'], '2026-09-01');
    assert.equal(pinnedCalls, 1);
    const sent = await pinnedApp.inject({
      method: 'GET',
      url: '/items',
      headers: { 'steadfast-version': '2026-12-01' },
    });
    assert.equal(sent.headers['steadfast-version'], '2026-12-01');
    assert.equal(pinnedCalls, 1);
  });

  test('a repeated header is read as one comma-joined value', async () => {
    const response = await app.inject({
      method: 'GET',
      url: '/items',
      headers: { 'steadfast-version': ['2026-09-01', '2026-12-01'] },
    });
    assert.equal(response.statusCode, 400);
    assert.match(response.json().detail, /^Steadfast-Version "2026-09-01, 2026-12-01" is not a date/);
  });
});

describe('unmatched requests included', () => {
  test('a 404 in an older version is not translated, even by a change of every route', async () => {
    const response = await unmatched.inject({
      method: 'GET',
      url: '/nope',
      headers: { 'steadfast-version': '2026-06-01' },
    });
    assert.equal(response.statusCode, 404);
    assert.equal(response.headers['steadfast-version'], '2026-06-01');
    assert.equal(response.json().old, undefined);
  });
});

describe('sunset answers', () => {
  test('version-sunset lists the supported versions', async () => {
    const response = await app.inject({
      method: 'GET',
      url: '/items',
      headers: { 'steadfast-version': '2026-06-01' },
    });
    assert.equal(response.statusCode, 410);
    const body = response.json();
    assert.equal(body.version, '2026-06-01');
    assert.deepEqual(body.supportedVersions, ['2026-06-01', '2026-09-01', '2026-12-01']);
  });

  test('endpoint-sunset names the route, the time and the link', async () => {
    const response = await app.inject({ method: 'GET', url: '/legacy' });
    assert.equal(response.statusCode, 410);
    assert.equal(
      response.json().detail,
      'GET /legacy was switched off at 2027-02-01T00:00:00.000Z; see /next.',
    );
  });
});

describe('a failed translation', () => {
  test('is logged with the error, route and version', async () => {
    const response = await app.inject({
      method: 'GET',
      url: '/broken',
      headers: { 'steadfast-version': '2026-09-01' },
    });
    assert.equal(response.statusCode, 500);
    const line = logs.lines().find((l) => l.msg === 'translating the answer to an older API version failed');
    assert.ok(line, logs.text());
    assert.equal(line.route, '/broken');
    assert.equal(line.version, '2026-09-01');
    assert.equal((line.err as { message: string }).message, 'a bug in a change');
  });
});
