/**
 * The problems plugin piece by piece, with literal expectations: each Fastify
 * error code's problem and detail, 4xx vs 5xx errors without a type and how
 * each is logged, the headers a problem carries, validation details, 404 vs
 * 405 by route pattern, and the URL limit at its boundary.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import pino from 'pino';
import { createLogCapture, type LogCapture } from '../testing/index.ts';
import { problems } from './error-handler.ts';
import { ProblemError } from './problem-error.ts';
import { coreProblems, createProblemRegistry } from './registry.ts';
import { installValidators } from './validation.ts';

let app: FastifyInstance;
let logs: LogCapture;
const thrown = new Map<string, Error>();
before(async () => {
  logs = createLogCapture();
  app = Fastify({ loggerInstance: pino({ level: 'info' }, logs.stream) }) as unknown as FastifyInstance;
  installValidators(app);
  await app.register(problems, { registry: createProblemRegistry(coreProblems) });
  app.get<{ Params: { name: string } }>('/throw/:name', async (request) => {
    throw thrown.get(request.params.name);
  });
  app.addHook('onRequest', async (request, reply) => {
    if (request.headers['x-preset-id']) reply.header('X-Request-Id', 'preset');
  });
  app.get('/things', async () => 'get');
  app.post('/things', async () => 'post');
  app.get('/items/:id', async () => 'item');
  app.get('/files/*', async () => 'file');
  app.get('/a.b', async () => 'dotted');
  app.get(
    '/search',
    { schema: { querystring: { type: 'object', properties: { limit: { type: 'integer', maximum: 100 } } } } },
    async () => 'found',
  );
  app.post('/echo', { schema: { body: { type: 'object' } } }, async () => 'ok');
});
after(() => app.close());

const fail = (name: string, error: Error) => {
  thrown.set(name, error);
  return app.inject({ method: 'GET', url: `/throw/${name}` });
};
const withCode = (code: string, message = 'framework message', statusCode?: number) =>
  Object.assign(new Error(message), { code, statusCode });
/** Fastify's own request ids (the app gives no genReqId) */
const REQUEST_ID = /^req-[0-9a-z]+$/;
const logged = (msg: string) => logs.lines().filter((l) => l.msg === msg);

describe('Fastify errors become problems', () => {
  const CASES: [code: string, status: number, slug: string, detail: string][] = [
    ['FST_ERR_CTP_BODY_TOO_LARGE', 413, 'payload-too-large', 'The request body exceeds the size limit.'],
    [
      'FST_ERR_CTP_INVALID_MEDIA_TYPE',
      415,
      'unsupported-media-type',
      'Content-Type "" is not accepted; send application/json.',
    ],
    [
      'FST_ERR_CTP_INVALID_TYPE',
      415,
      'unsupported-media-type',
      'Content-Type "" is not accepted; send application/json.',
    ],
    [
      'FST_ERR_CTP_EMPTY_TYPE',
      415,
      'unsupported-media-type',
      'Content-Type "" is not accepted; send application/json.',
    ],
    ['FST_ERR_CTP_INVALID_JSON_BODY', 400, 'malformed-json', 'framework message'],
    ['FST_ERR_CTP_EMPTY_JSON_BODY', 400, 'malformed-json', 'framework message'],
    ['FST_ERR_CTP_INVALID_CONTENT_LENGTH', 400, 'bad-request', 'framework message'],
  ];
  for (const [code, status, slug, detail] of CASES) {
    test(`${code} → ${status} ${slug}`, async () => {
      const response = await fail(code, withCode(code));
      assert.equal(response.statusCode, status);
      assert.deepEqual([response.json().type, response.json().detail], [`/problems/${slug}`, detail]);
    });
  }

  test('the unsupported content type is named in the detail', async () => {
    thrown.set('ct', withCode('FST_ERR_CTP_INVALID_MEDIA_TYPE'));
    const response = await app.inject({
      method: 'GET',
      url: '/throw/ct',
      headers: { 'content-type': 'text/csv' },
    });
    assert.equal(response.json().detail, 'Content-Type "text/csv" is not accepted; send application/json.');
  });

  test('a 4xx without a problem type is bad-request with its message, logged at info', async () => {
    const earlier = logged('client error without a problem type').length;
    for (const statusCode of [400, 418, 499]) {
      const response = await fail(
        `s${statusCode}`,
        withCode('SOME_PLUGIN', `teapot ${statusCode}`, statusCode),
      );
      assert.equal(response.statusCode, 400, String(statusCode));
      assert.equal(response.json().type, '/problems/bad-request');
      assert.equal(response.json().detail, `teapot ${statusCode}`);
    }
    const lines = logged('client error without a problem type').slice(earlier);
    assert.deepEqual(
      lines.map((l) => [l.level, (l.err as { message: string }).message]),
      [
        [30, 'teapot 400'],
        [30, 'teapot 418'],
        [30, 'teapot 499'],
      ],
    );
  });

  test('anything else is a 500 internal-error naming only the request, logged at error with the cause', async () => {
    const earlier = logged('unhandled error').length;
    for (const [name, statusCode] of [
      ['s399', 399],
      ['s500', 500],
      ['s503', 503],
      ['none', undefined],
    ] as const) {
      const response = await fail(name, withCode('X', 'secret internals', statusCode));
      assert.equal(response.statusCode, 500, name);
      const body = response.json();
      assert.equal(body.type, '/problems/internal-error');
      assert.match(body.requestId, REQUEST_ID);
      assert.equal(body.detail, `An unexpected error occurred (request ${body.requestId}).`);
      assert.ok(!response.body.includes('secret'));
    }
    const errors = logged('unhandled error').slice(earlier);
    assert.deepEqual(
      errors.map((l) => [l.level, (l.err as { message: string }).message]),
      Array(4).fill([50, 'secret internals']),
    );
  });
});

describe('the headers a problem carries', () => {
  test('X-Request-Id is the body’s requestId, unless a hook set one already', async () => {
    const fresh = await fail('nf', new ProblemError('not-found'));
    assert.match(fresh.json().requestId, REQUEST_ID);
    assert.equal(fresh.headers['x-request-id'], fresh.json().requestId);
    thrown.set('preset', new ProblemError('not-found'));
    const preset = await app.inject({ method: 'GET', url: '/throw/preset', headers: { 'x-preset-id': '1' } });
    assert.equal(preset.headers['x-request-id'], 'preset');
  });

  test('401 asks for a Bearer token; other statuses do not', async () => {
    assert.equal((await fail('401', new ProblemError('unauthorized'))).headers['www-authenticate'], 'Bearer');
    assert.equal((await fail('403', new ProblemError('forbidden'))).headers['www-authenticate'], undefined);
  });

  test('a retryable problem says Retry-After: 1 unless it set its own; others say nothing', async () => {
    assert.equal((await fail('r1', new ProblemError('database-unavailable'))).headers['retry-after'], '1');
    const own = new ProblemError('database-unavailable', { headers: { 'Retry-After': '7' } });
    assert.equal((await fail('r7', own)).headers['retry-after'], '7');
    assert.equal((await fail('r0', new ProblemError('not-found'))).headers['retry-after'], undefined);
  });

  test('an unregistered slug: 500 with the title as detail, and the slug and detail in the error log', async () => {
    const response = await fail('typo', new ProblemError('no-such-slug', { detail: 'developer text' }));
    assert.equal(response.statusCode, 500);
    assert.equal(response.json().detail, 'Internal error');
    const [line] = logged('problem type is not registered');
    assert.deepEqual([line.slug, line.detail, line.level], ['no-such-slug', 'developer text', 50]);
    assert.equal(logged('problem type is not registered').length, 1, 'registered slugs are not logged');
  });
});

describe('validation, 404 and 405', () => {
  test('each issue in the detail as "<part> <pointer>: <message>", the root as /', async () => {
    const query = await app.inject({ method: 'GET', url: '/search?limit=500' });
    assert.equal(query.statusCode, 400);
    assert.equal(query.json().detail, 'query /limit: must be <= 100');
    const body = await app.inject({
      method: 'POST',
      url: '/echo',
      payload: '[1]',
      headers: { 'content-type': 'application/json' },
    });
    assert.equal(body.json().detail, 'body /: must be object');
  });

  test('a known path with another method is 405 with Allow (methods of every route on it, sorted)', async () => {
    const response = await app.inject({ method: 'DELETE', url: '/things' });
    assert.equal(response.statusCode, 405);
    assert.equal(response.headers.allow, 'GET, HEAD, POST');
    assert.equal(response.json().detail, 'DELETE is not supported on /things; use GET, HEAD, POST.');
    assert.equal(
      (await app.inject({ method: 'PUT', url: '/things/?x=1' })).statusCode,
      405,
      'trailing slash',
    );
    assert.equal((await app.inject({ method: 'POST', url: '/items/42' })).headers.allow, 'GET, HEAD');
    assert.equal((await app.inject({ method: 'POST', url: '/files/a/b/c' })).statusCode, 405);
    assert.equal((await app.inject({ method: 'POST', url: '/a.b' })).statusCode, 405);
  });

  test('an unknown path is 404 naming the method and path; pattern characters are literal', async () => {
    const response = await app.inject({ method: 'GET', url: '/nope?secret=1' });
    assert.equal(response.statusCode, 404);
    assert.equal(response.json().detail, 'No route GET /nope.');
    assert.equal(response.json().instance, '/nope');
    assert.equal((await app.inject({ method: 'POST', url: '/aXb' })).statusCode, 404, '. is not a wildcard');
    assert.equal(
      (await app.inject({ method: 'POST', url: '/items/1/2' })).statusCode,
      404,
      ':id is one segment',
    );
  });
});

describe('the URL limit', () => {
  test('8192 bytes by default: at the limit the route runs, one byte over is 414', async () => {
    const at = `/things?q=${'a'.repeat(8192 - '/things?q='.length)}`;
    assert.equal(at.length, 8192);
    assert.equal((await app.inject({ method: 'GET', url: at })).statusCode, 200);
    const over = await app.inject({ method: 'GET', url: `${at}a` });
    assert.equal(over.statusCode, 414);
    assert.equal(over.json().detail, 'The request target is longer than 8192 bytes.');
  });

  test('maxUrlBytes sets another limit', async (t) => {
    const small = Fastify();
    t.after(() => small.close());
    await small.register(problems, { registry: createProblemRegistry(coreProblems), maxUrlBytes: 20 });
    small.get('/x', async () => 'x');
    assert.equal((await small.inject({ method: 'GET', url: `/x?${'b'.repeat(17)}` })).statusCode, 200);
    const over = await small.inject({ method: 'GET', url: `/x?${'b'.repeat(18)}` });
    assert.equal(over.statusCode, 414);
    assert.equal(over.json().detail, 'The request target is longer than 20 bytes.');
  });

  test('the plugin is named and declares Fastify 5', () => {
    const meta = (problems as unknown as Record<symbol, { name: string; fastify: string }>)[
      Symbol.for('plugin-meta')
    ];
    assert.deepEqual([meta.name, meta.fastify], ['steadfast-problems', '5.x']);
  });
});
