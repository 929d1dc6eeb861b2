/** Usage of @steadfast/toolkit/problems on a bare Fastify app: every error a client sees is problem+json. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  buildProblem,
  coreProblems,
  createProblemRegistry,
  installValidators,
  isProblemError,
  jsonBody,
  ProblemError,
  problemResponses,
  problems,
  registerProblemPages,
} from '@steadfast/toolkit/problems';
import Fastify, { type FastifyInstance } from 'fastify';

async function buildApp(): Promise<FastifyInstance> {
  // docs:start setup
  const registry = createProblemRegistry(coreProblems, [
    {
      slug: 'out-of-stock',
      status: 409,
      title: 'The item is out of stock',
      category: 'conflict',
      retryable: false,
      description: 'Nothing is left of this item. Order something else, or fewer.',
    },
  ]);

  const app = Fastify({ bodyLimit: 1024 });
  installValidators(app); // strict bodies: no coercion, unknown fields rejected
  await app.register(problems, { registry }); // before the routes, so 405 knows them
  await app.register(jsonBody); // JSON only; anything else is 415
  registerProblemPages(app, registry); // GET /problems and /problems/{slug}

  app.post<{ Body: { sku: string; quantity: number } }>(
    '/carts/:id/items',
    {
      schema: {
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['sku', 'quantity'],
          properties: { sku: { type: 'string' }, quantity: { type: 'integer', minimum: 1 } },
        },
      },
    },
    async (request, reply) => {
      if (request.body.sku === 'SOLD-OUT') {
        throw new ProblemError('out-of-stock', {
          detail: `No ${request.body.sku} left.`,
          extensions: { sku: request.body.sku },
        });
      }
      return reply.code(201).send({ added: request.body });
    },
  );
  // docs:end setup
  app.get<{ Querystring: { limit: number } }>(
    '/carts',
    {
      schema: {
        querystring: { type: 'object', properties: { limit: { type: 'integer', maximum: 100 } } },
        response: problemResponses(400),
      },
    },
    async (request) => ({ limit: request.query.limit }),
  );
  app.get('/boom', async () => {
    throw new Error('secret connection string postgres://u:p@h/db');
  });
  app.get('/typo', async () => {
    throw new ProblemError('out-of-stok', { detail: 'a slug nobody registered' });
  });
  return app;
}

let app: FastifyInstance;
before(async () => {
  app = await buildApp();
});
after(() => app.close());

const post = (payload: unknown, headers: Record<string, string> = {}) =>
  app.inject({
    method: 'POST',
    url: '/carts/c1/items',
    headers: { 'content-type': 'application/json', ...headers },
    payload: typeof payload === 'string' ? payload : JSON.stringify(payload),
  });

function assertProblem(
  response: Awaited<ReturnType<typeof post>>,
  expected: { slug: string; status: number; category: string; retryable: boolean },
) {
  assert.equal(response.statusCode, expected.status);
  assert.match(String(response.headers['content-type']), /^application\/problem\+json/);
  const body = response.json();
  assert.equal(body.type, `/problems/${expected.slug}`);
  assert.equal(body.status, expected.status);
  assert.equal(body.category, expected.category);
  assert.equal(body.retryable, expected.retryable);
  assert.equal(typeof body.requestId, 'string');
  return body;
}

describe('problems on a bare Fastify app', () => {
  test('a valid request passes; a thrown ProblemError is answered from the registry', async () => {
    assert.equal((await post({ sku: 'A-1', quantity: 2 })).statusCode, 201);
    const body = assertProblem(await post({ sku: 'SOLD-OUT', quantity: 1 }), {
      slug: 'out-of-stock',
      status: 409,
      category: 'conflict',
      retryable: false,
    });
    assert.equal(body.title, 'The item is out of stock');
    assert.equal(body.detail, 'No SOLD-OUT left.');
    assert.equal(body.instance, '/carts/c1/items');
    assert.equal(body.sku, 'SOLD-OUT');
  });

  test('unknown fields, missing fields and "2" for an integer are 400 validation-failed with pointers', async () => {
    const body = assertProblem(await post({ sku: 'A-1', quantity: '2', colour: 'red' }), {
      slug: 'validation-failed',
      status: 400,
      category: 'validation',
      retryable: false,
    });
    assert.deepEqual(
      [...body.errors].sort((a, b) => a.pointer.localeCompare(b.pointer)),
      [
        { pointer: '/colour', message: 'is not a known field', in: 'body' },
        { pointer: '/quantity', message: 'must be integer', in: 'body' },
      ],
    );
    const missing = (await post({ sku: 'A-1' })).json();
    assert.deepEqual(missing.errors, [{ pointer: '/quantity', message: 'is required', in: 'body' }]);
  });

  test('the whole body of a validation problem', async () => {
    // docs:start body
    const response = await post({ sku: 'A-1', quantity: 2, colour: 'red' });
    assert.deepEqual(response.json(), {
      type: '/problems/validation-failed',
      title: 'The request is not valid',
      status: 400,
      detail: 'body /colour: is not a known field',
      instance: '/carts/c1/items',
      category: 'validation',
      retryable: false,
      requestId: String(response.json().requestId), // the request's id (request.id)
      errors: [{ pointer: '/colour', message: 'is not a known field', in: 'body' }],
    });
    // docs:end body
  });

  test('query strings are coerced from text, and still validated', async () => {
    assert.deepEqual((await app.inject({ method: 'GET', url: '/carts?limit=5' })).json(), { limit: 5 });
    const body = assertProblem(await app.inject({ method: 'GET', url: '/carts?limit=lots' }), {
      slug: 'validation-failed',
      status: 400,
      category: 'validation',
      retryable: false,
    });
    assert.deepEqual(body.errors, [{ pointer: '/limit', message: 'must be integer', in: 'query' }]);
  });

  test('broken JSON is 400 malformed-json; another content type is 415; a large body is 413', async () => {
    assertProblem(await post('{"sku": "A-1",'), {
      slug: 'malformed-json',
      status: 400,
      category: 'validation',
      retryable: false,
    });
    const wrongType = await post('sku=A-1', { 'content-type': 'application/x-www-form-urlencoded' });
    assertProblem(wrongType, {
      slug: 'unsupported-media-type',
      status: 415,
      category: 'validation',
      retryable: false,
    });
    assert.match(wrongType.json().detail, /application\/x-www-form-urlencoded/);
    assertProblem(await post({ sku: 'x'.repeat(2000), quantity: 1 }), {
      slug: 'payload-too-large',
      status: 413,
      category: 'validation',
      retryable: false,
    });
  });

  test('an unknown route is 404; a known route with the wrong method is 405 with Allow', async () => {
    assertProblem(await app.inject({ method: 'GET', url: '/nowhere' }), {
      slug: 'not-found',
      status: 404,
      category: 'not-found',
      retryable: false,
    });
    const wrongMethod = await app.inject({ method: 'DELETE', url: '/carts/c1/items' });
    assertProblem(wrongMethod, {
      slug: 'method-not-allowed',
      status: 405,
      category: 'validation',
      retryable: false,
    });
    assert.equal(wrongMethod.headers.allow, 'POST');
  });

  test('an unexpected exception is a 500 internal-error that leaks nothing', async () => {
    const response = await app.inject({ method: 'GET', url: '/boom' });
    const body = assertProblem(response, {
      slug: 'internal-error',
      status: 500,
      category: 'internal',
      retryable: false,
    });
    assert.doesNotMatch(response.body, /postgres:|secret/);
    assert.match(body.detail, new RegExp(body.requestId));
  });

  test('a slug missing from the registry is answered as internal-error (500), without its detail', async () => {
    const response = await app.inject({ method: 'GET', url: '/typo' });
    assertProblem(response, { slug: 'internal-error', status: 500, category: 'internal', retryable: false });
    assert.notEqual(response.json().detail, 'a slug nobody registered');
  });

  test('every problem type has a page; an unknown slug is a 404 problem', async () => {
    const page = await app.inject({ method: 'GET', url: '/problems/out-of-stock' });
    assert.equal(page.statusCode, 200);
    assert.match(String(page.headers['content-type']), /^text\/html/);
    assert.match(page.body, /Nothing is left of this item/);
    assert.match((await app.inject({ method: 'GET', url: '/problems' })).body, /validation-failed/);
    assertProblem(await app.inject({ method: 'GET', url: '/problems/no-such-type' }), {
      slug: 'not-found',
      status: 404,
      category: 'not-found',
      retryable: false,
    });
  });
});

describe('mapping infrastructure errors', () => {
  test('mapError turns an error into a retryable problem with Retry-After; 401 gets WWW-Authenticate', async (t) => {
    const mapped = Fastify();
    t.after(() => mapped.close());
    // docs:start map-error
    class DatabaseDown extends Error {}
    await mapped.register(problems, {
      registry: createProblemRegistry(coreProblems),
      mapError: (error) =>
        error instanceof DatabaseDown
          ? new ProblemError('database-unavailable', { detail: 'Nothing was written.' })
          : undefined,
    });
    // docs:end map-error
    mapped.get('/down', async () => {
      throw new DatabaseDown('ECONNREFUSED');
    });
    mapped.get('/secret', async () => {
      throw new ProblemError('unauthorized', { detail: 'Send Authorization: Bearer <api key>.' });
    });
    const down = await mapped.inject({ method: 'GET', url: '/down' });
    assertProblem(down, {
      slug: 'database-unavailable',
      status: 503,
      category: 'dependency',
      retryable: true,
    });
    assert.equal(down.headers['retry-after'], '1');
    const secret = await mapped.inject({ method: 'GET', url: '/secret' });
    assertProblem(secret, { slug: 'unauthorized', status: 401, category: 'unauthorized', retryable: false });
    assert.equal(secret.headers['www-authenticate'], 'Bearer');
  });
});

describe('the registry', () => {
  test('rejects bad and duplicate slugs at start', () => {
    const type = coreProblems[0];
    assert.throws(() => createProblemRegistry([{ ...type, slug: 'Bad Slug' }]), /bad problem slug/);
    assert.throws(() => createProblemRegistry(coreProblems, [type]), /registered twice/);
  });

  test('buildProblem makes the same body outside a request (e.g. an operation error); reserved members win', () => {
    const registry = createProblemRegistry(coreProblems);
    const body = buildProblem(registry, {
      slug: 'not-found',
      instance: '/operations/op_1',
      requestId: 'job-7',
      extensions: { status: 200, hint: 'gone' },
    });
    assert.equal(body.status, 404);
    assert.equal(body.hint, 'gone');
    assert.equal(body.detail, 'Not found');
    assert.ok(isProblemError(new ProblemError('not-found')));
  });
});
