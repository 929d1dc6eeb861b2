/** The apiVersioning plugin's edges: which answers onSend leaves alone, logs, the usage hooks, renderInVersion's guards. */
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import { coreProblems, createProblemRegistry, problems } from '../problems/index.ts';
import { createLogCapture } from '../testing/index.ts';
import { apiVersioning, renderInVersion } from './plugin.ts';
import { versioningProblems } from './problems.ts';
import type { VersionUsage } from './usage-recorder.ts';
import { defineApiVersions } from './versions.ts';

const TOUCHED = [
  'GET /typed/:kind',
  'GET /empty',
  'GET /stream',
  'GET /nocontent',
  'POST /echo',
  'GET /echo',
];
const versions = defineApiVersions({
  versions: ['2026-06-01', '2026-12-01'],
  changes: [
    {
      version: '2026-12-01',
      description: 'old clients send title, get old: true',
      routes: TOUCHED,
      request: ({ title, ...rest }) => ({ ...rest, label: title }),
      response: (body) => ({ ...body, old: true }),
    },
  ],
});
const OLD = { 'steadfast-version': '2026-06-01' };
const SPACED = '{ "a":  1 }';

const logs = createLogCapture();
const calls: string[] = [];
const recorder: VersionUsage = {
  record: (partition, version) => calls.push(`record ${partition} ${version}`),
  start: async () => {
    calls.push('start');
  },
  stop: async () => {
    calls.push('stop');
  },
  flush: async () => true,
};
let app: FastifyInstance;

before(async () => {
  app = Fastify({ logger: { level: 'warn', stream: logs.stream } });
  await app.register(problems, { registry: createProblemRegistry(coreProblems, versioningProblems) });
  await app.register(apiVersioning, {
    versions,
    usage: { recorder, partitionOf: (request) => request.headers['x-tenant'] as string | undefined },
  });
  app.get('/typed/:kind', async (request, reply) => {
    const kind = (request.params as { kind: string }).kind;
    const types: Record<string, string> = {
      vendor: 'application/vnd.steadfast+json',
      text: 'text/plain',
      embedded: 'text/plain; note=application/json',
      buffer: 'application/json',
    };
    reply.type(types[kind]);
    return kind === 'text' ? 'hello' : kind === 'buffer' ? Buffer.from(SPACED) : SPACED;
  });
  app.get('/untouched', async (_request, reply) => reply.type('application/json').send(SPACED));
  app.get('/empty', async (_request, reply) => reply.type('application/json').send(''));
  app.get('/stream', async (_request, reply) =>
    reply.type('application/json').send(Readable.from(['{"a":1}'])),
  );
  app.get('/nocontent', async (_request, reply) => reply.code(204).type('application/json').send());
  app.post('/echo', async (request) => ({ got: request.body }));
  app.get('/echo', async () => ({ got: 'nothing' }));
  await app.ready();
});
after(() => app.close());

const get = (url: string, headers: Record<string, string> = OLD) =>
  app.inject({ method: 'GET', url, headers });

describe('onSend translates JSON answers only', () => {
  test('a +json vendor type is translated; text, and a json type inside a parameter, are not', async () => {
    assert.equal((await get('/typed/vendor')).body, '{"a":1,"old":true}');
    assert.equal((await get('/typed/buffer')).body, '{"a":1,"old":true}');
    const text = await get('/typed/text');
    assert.equal(text.statusCode, 200);
    assert.equal(text.body, 'hello');
    assert.equal((await get('/typed/embedded')).body, SPACED);
  });

  test('an untouched route keeps its bytes; an empty JSON answer goes out empty', async () => {
    assert.equal((await get('/untouched')).body, SPACED);
    const empty = await get('/empty');
    assert.equal(empty.statusCode, 200);
    assert.equal(empty.body, '');
  });

  test('a stream is sent as it is, with a warning naming route and version', async () => {
    const response = await get('/stream');
    assert.equal(response.statusCode, 200);
    assert.equal(response.body, '{"a":1}');
    const warned = logs.lines().filter((l) => l.level === 40);
    assert.equal(warned.length, 1);
    assert.equal(warned[0].msg, 'a streamed JSON answer cannot be translated to an older API version');
    assert.equal(warned[0].route, '/stream');
    assert.equal(warned[0].version, '2026-06-01');
  });

  test('a 204 without a body is not warned about', async () => {
    const before = logs.lines().length;
    const response = await get('/nocontent');
    assert.equal(response.statusCode, 204);
    assert.equal(response.body, '');
    assert.equal(logs.lines().length, before);
  });
});

describe('request bodies', () => {
  test('a GET without a body and a JSON null body are not handed to the change', async () => {
    assert.equal((await get('/echo')).body, '{"got":"nothing","old":true}');
    const response = await app.inject({
      method: 'POST',
      url: '/echo',
      headers: { ...OLD, 'content-type': 'application/json' },
      payload: 'null',
    });
    assert.equal(response.statusCode, 200);
    assert.equal(response.body, '{"got":null,"old":true}');
  });
});

describe('registration', () => {
  test('the plugin is named and decorates the request', () => {
    assert.equal(app.hasPlugin('steadfast-api-versioning'), true);
    assert.equal(app.hasRequestDecorator('apiVersion'), true);
    assert.equal(app.hasRequestDecorator('apiVersionRendered'), true);
  });

  test('usage: start at ready, a record per request with a partition, stop at close', async () => {
    assert.deepEqual(calls, ['start']);
    calls.length = 0;
    await get('/untouched', { ...OLD, 'x-tenant': 't1' });
    await get('/untouched', OLD);
    assert.deepEqual(calls, ['record t1 2026-06-01']);
    const other = Fastify();
    const seen: string[] = [];
    await other.register(apiVersioning, {
      versions,
      usage: {
        recorder: {
          ...recorder,
          start: async () => void seen.push('start'),
          stop: async () => void seen.push('stop'),
        },
        partitionOf: () => undefined,
      },
    });
    await other.ready();
    await other.close();
    assert.deepEqual(seen, ['start', 'stop']);
  });
});

describe('renderInVersion', () => {
  const contexts: boolean[] = [];
  const rendering = defineApiVersions({
    versions: ['2026-06-01', '2026-12-01'],
    changes: [
      {
        version: '2026-12-01',
        description: 'marks old answers',
        routes: ['*'],
        response: (body, { problem }) => {
          contexts.push(problem);
          return { ...body, old: true };
        },
      },
    ],
  });
  const render = renderInVersion(rendering);
  const fake = (apiVersion: string | undefined, url: string | undefined) =>
    ({
      apiVersion,
      apiVersionRendered: false,
      method: 'GET',
      routeOptions: { url },
    }) as unknown as FastifyRequest;

  test('no version, the newest, or no route: the body as it is, the request not marked', () => {
    const body = { a: 1 };
    for (const request of [fake(undefined, '/x'), fake('2026-12-01', '/x'), fake('2026-06-01', undefined)]) {
      assert.equal(render(request, { status: 200, body }), body);
      assert.equal(request.apiVersionRendered, false);
    }
    assert.deepEqual(contexts, []);
  });

  test('an older version: translated, marked, problem from the status', () => {
    const request = fake('2026-06-01', '/x');
    assert.deepEqual(render(request, { status: 200, body: { a: 1 } }), { a: 1, old: true });
    assert.equal(request.apiVersionRendered, true);
    render(fake('2026-06-01', '/x'), { status: 399, body: {} });
    render(fake('2026-06-01', '/x'), { status: 400, body: {} });
    render(fake('2026-06-01', '/x'), { status: 401, body: {} });
    assert.deepEqual(contexts, [false, false, true, true]);
  });
});
