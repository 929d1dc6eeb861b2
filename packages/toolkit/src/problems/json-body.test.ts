/**
 * jsonBody and installValidators on a bare Fastify app: what is parsed, what
 * is refused and with which detail, the depth option, prototype poisoning,
 * and the validator settings (defaults filled, unknown keywords allowed,
 * formats checked).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import { problems } from './error-handler.ts';
import { jsonBody } from './json-body.ts';
import { coreProblems, createProblemRegistry } from './registry.ts';
import { installValidators } from './validation.ts';

async function build(options: { maxDepth?: number } = {}): Promise<FastifyInstance> {
  const app = Fastify();
  installValidators(app);
  await app.register(problems, { registry: createProblemRegistry(coreProblems) });
  await app.register(jsonBody, options);
  app.post('/echo', async (request) => ({ body: request.body ?? 'none' }));
  app.patch('/echo', async (request) => ({ body: request.body ?? 'none' }));
  app.post(
    '/typed',
    {
      schema: {
        body: {
          type: 'object',
          'x-internal': true, // an unknown keyword: allowed (strict: false)
          properties: {
            size: { type: 'integer', default: 3 },
            email: { type: 'string', format: 'email' },
            at: { type: 'string', format: 'date-time' },
            link: { type: 'string', format: 'uri' },
            ref: { type: 'string', format: 'uuid' },
          },
        },
      },
    },
    async (request) => request.body,
  );
  await app.ready();
  return app;
}

let app: FastifyInstance;
before(async () => {
  app = await build();
});
after(() => app.close());

const send = (target: FastifyInstance, payload: string, contentType = 'application/json', method = 'POST') =>
  target.inject({
    method: method as 'POST',
    url: '/echo',
    payload,
    headers: { 'content-type': contentType },
  });

describe('jsonBody', () => {
  test('application/json and merge-patch+json are parsed', async () => {
    assert.deepEqual((await send(app, '{"a":[1,"x"]}')).json(), { body: { a: [1, 'x'] } });
    assert.deepEqual((await send(app, '{"a":null}', 'application/merge-patch+json', 'PATCH')).json(), {
      body: { a: null },
    });
  });

  test('an empty or blank body is no body, with or without a content type', async () => {
    for (const payload of ['', '  \n\t '])
      assert.deepEqual((await send(app, payload)).json(), { body: 'none' }, JSON.stringify(payload));
    assert.deepEqual((await app.inject({ method: 'POST', url: '/echo' })).json(), { body: 'none' });
  });

  test('every other content type is 415, text/plain included', async () => {
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'application/xml']) {
      const response = await send(app, 'a=1', type);
      assert.equal(response.statusCode, 415, type);
      assert.equal(response.json().type, '/problems/unsupported-media-type');
    }
  });

  test('broken JSON is 400 malformed-json saying why', async () => {
    const response = await send(app, '{"a":');
    assert.equal(response.statusCode, 400);
    assert.equal(response.json().type, '/problems/malformed-json');
    assert.match(response.json().detail, /^The body is not valid JSON: ./);
  });

  test('prototype poisoning is refused, not parsed', async () => {
    for (const payload of ['{"__proto__":{"admin":true}}', '{"constructor":{"prototype":{"admin":true}}}']) {
      const response = await send(app, payload);
      assert.equal(response.statusCode, 400, payload);
      assert.equal(response.json().type, '/problems/malformed-json');
    }
  });

  test('rule violations are 400 validation-failed, each issue in the detail with its pointer, the root as /', async () => {
    const response = await send(app, '{"a":"x\\u0000","b":["\\ud800"]}');
    assert.equal(response.statusCode, 400);
    const body = response.json();
    assert.equal(body.type, '/problems/validation-failed');
    assert.equal(
      body.detail,
      'body /a: contains U+0000 (NUL), which cannot be stored; body /b/0: is not well-formed Unicode (it has a lone surrogate)',
    );
    assert.deepEqual(
      body.errors.map((e: { pointer: string }) => e.pointer),
      ['/a', '/b/0'],
    );
    const root = await send(app, '"\\u0000"');
    assert.equal(root.json().detail, 'body /: contains U+0000 (NUL), which cannot be stored');
  });

  test('depth: 32 levels by default, or maxDepth', async (t) => {
    const nested = (levels: number) => '['.repeat(levels) + ']'.repeat(levels);
    assert.equal((await send(app, nested(32))).statusCode, 200);
    assert.match((await send(app, nested(33))).json().detail, /: nests deeper than 32 levels$/);
    const shallow = await build({ maxDepth: 2 });
    t.after(() => shallow.close());
    assert.equal((await send(shallow, nested(2))).statusCode, 200);
    assert.equal((await send(shallow, nested(3))).json().detail, 'body /0/0: nests deeper than 2 levels');
  });

  test('the plugin is named and declares Fastify 5', () => {
    const meta = (jsonBody as unknown as Record<symbol, { name: string; fastify: string }>)[
      Symbol.for('plugin-meta')
    ];
    assert.deepEqual([meta.name, meta.fastify], ['steadfast-json-body', '5.x']);
  });
});

describe('installValidators', () => {
  const typed = (body: object) => app.inject({ method: 'POST', url: '/typed', payload: body });

  test('schema defaults are filled in; unknown keywords do not stop a schema from compiling', async () => {
    const response = await typed({});
    assert.equal(response.statusCode, 200);
    assert.deepEqual(response.json(), { size: 3 });
  });

  test('email, date-time, uri and uuid formats are checked', async () => {
    const good = {
      email: 'a@example.com',
      at: '2026-12-01T10:00:00Z',
      link: 'https://example.com/x',
      ref: '0b9a4c3e-5f61-4d1e-9a57-2f1f3c7d8e90',
    };
    assert.equal((await typed(good)).statusCode, 200);
    for (const [field, bad] of [
      ['email', 'not-an-email'],
      ['at', 'yesterday'],
      ['link', 'no scheme'],
      ['ref', '1234'],
    ]) {
      const response = await typed({ ...good, [field]: bad });
      assert.equal(response.statusCode, 400, field);
      assert.equal(response.json().errors[0].pointer, `/${field}`);
    }
  });

  test('bodies are not coerced: "2" is not an integer', async () => {
    const response = await typed({ size: '2' });
    assert.equal(response.statusCode, 400);
    assert.equal(response.json().detail, 'body /size: must be integer');
  });
});
