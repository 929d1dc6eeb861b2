import assert from 'node:assert/strict';
import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createLogger } from '@steadfast/toolkit/observability';
import { createPool } from '@steadfast/toolkit/postgres';
import { coreProblems, createProblemRegistry, jsonBody, problems } from '@steadfast/toolkit/problems';
import { createLogCapture, sendRawHttp } from '@steadfast/toolkit/testing';
import Fastify from 'fastify';
import { buildTestApp, type TestApp } from './testing.ts';

let app: TestApp;
before(async () => {
  app = await buildTestApp();
});
after(() => app.close());

describe('the problem registry, its pages, the OpenAPI document and docs/errors.md stay in sync', () => {
  test('every registered type has a page that names its status and category', async () => {
    const { problemRegistry } = await import('./app.ts');
    for (const type of problemRegistry().all()) {
      const response = await app.inject({ method: 'GET', url: `/problems/${type.slug}`, apiKey: null });
      assert.equal(response.statusCode, 200, type.slug);
      assert.match(String(response.headers['content-type']), /^text\/html/);
      assert.ok(response.body.includes(`/problems/${type.slug}`));
      assert.ok(response.body.includes(`<td>${type.status}</td>`));
      assert.ok(response.body.includes(`<td>${type.category}</td>`));
    }
    const index = await app.inject({ method: 'GET', url: '/problems', apiKey: null });
    for (const type of problemRegistry().all()) assert.ok(index.body.includes(`/problems/${type.slug}`));
  });

  test('an unknown slug → 404 problem', async () => {
    const response = await app.inject({ method: 'GET', url: '/problems/no-such-thing', apiKey: null });
    assert.equal(response.statusCode, 404);
    assert.equal(response.json().type, '/problems/not-found');
  });

  test('every registered type appears in the OpenAPI document, with the same status and category', async () => {
    const { problemRegistry } = await import('./app.ts');
    const spec = (await app.inject({ method: 'GET', url: '/openapi.json', apiKey: null })).json();
    const listed = new Map(spec['x-problem-types'].map((t: { slug: string }) => [t.slug, t]));
    for (const type of problemRegistry().all()) {
      assert.deepEqual(listed.get(type.slug), {
        slug: type.slug,
        status: type.status,
        title: type.title,
        category: type.category,
        retryable: type.retryable,
        type: `/problems/${type.slug}`,
      });
    }
    assert.equal(listed.size, problemRegistry().all().length);
  });

  test('every registered type is documented in docs/errors.md', async () => {
    const { problemRegistry } = await import('./app.ts');
    const doc = fs.readFileSync(path.resolve('docs/errors.md'), 'utf8');
    for (const type of problemRegistry().all()) {
      assert.match(
        doc,
        new RegExp(`\\|\\s*\`${type.slug}\`\\s*\\|\\s*${type.status}\\s*\\|\\s*${type.category}\\s*\\|`),
        type.slug,
      );
    }
  });

  test('slugs are unique', () => {
    assert.throws(() => createProblemRegistry(coreProblems, [coreProblems[0]]), /registered twice/);
  });
});

describe('HTTP-level errors are problems', () => {
  test('unknown route → 404; wrong method → 405 with Allow', async () => {
    const missing = await app.inject({ method: 'GET', url: '/nope' });
    assert.equal(missing.statusCode, 404);
    assert.equal(missing.json().type, '/problems/not-found');
    const wrong = await app.inject({ method: 'DELETE', url: '/v1/orders' });
    assert.equal(wrong.statusCode, 405);
    assert.equal(wrong.headers.allow, 'GET, HEAD, POST');
    assert.equal(wrong.json().type, '/problems/method-not-allowed');
    const wrongOnItem = await app.inject({ method: 'PUT', url: '/v1/orders/ord_00000000000000000000000000' });
    assert.equal(wrongOnItem.statusCode, 405);
    assert.equal(wrongOnItem.headers.allow, 'GET, HEAD, PATCH');
  });

  test('an unexpected exception → 500 internal-error without internals; the log has the detail', async () => {
    const logs = createLogCapture();
    const server = Fastify({ loggerInstance: createLogger({ destination: logs.stream }) });
    await server.register(problems, { registry: createProblemRegistry(coreProblems) });
    await server.register(jsonBody);
    server.get('/boom', async () => {
      throw new Error('duplicate key value violates unique constraint "orders_pkey" at SELECT secret_column');
    });
    const response = await server.inject({ method: 'GET', url: '/boom' });
    assert.equal(response.statusCode, 500);
    const problem = response.json();
    assert.equal(problem.type, '/problems/internal-error');
    assert.equal(problem.category, 'internal');
    assert.equal(problem.retryable, false);
    assert.equal(problem.requestId, String(response.headers['x-request-id'] ?? problem.requestId));
    assert.doesNotMatch(response.body, /secret_column|orders_pkey|at .*\.ts/);
    assert.match(logs.text(), /secret_column/);
    await server.close();
  });

  test('a database outage → 503 database-unavailable, retryable, with Retry-After', async () => {
    const { buildApp } = await import('./app.ts');
    const pool = createPool({ connectionString: 'postgres://nobody:x@127.0.0.1:1/none' });
    const broken = await buildApp({ db: pool, logger: createLogger({ level: 'silent' }), migrations: [] });
    const response = await broken.server.inject({
      method: 'POST',
      url: '/v1/orders',
      headers: { authorization: `Bearer ${app.tenant.apiKey}` },
      payload: { currency: 'EUR', items: [{ sku: 'A', quantity: 1 }] },
    });
    assert.equal(response.statusCode, 503, response.body);
    assert.equal(response.json().type, '/problems/database-unavailable');
    assert.equal(response.json().retryable, true);
    assert.equal(response.headers['retry-after'], '1');
    await broken.server.close();
    await pool.end();
  });
});

describe('JSON body rules: checked before the idempotency fingerprint and before any write', () => {
  const deep = (levels: number, open: string, close: string) =>
    `${open.repeat(levels)}"x"${close.repeat(levels)}`;
  const order = (metadata: string) =>
    `{"currency":"EUR","items":[{"sku":"SKU-1","quantity":1}],"metadata":${metadata}}`;
  const cases: { name: string; body: string; pointer: RegExp; message: RegExp }[] = [
    {
      name: 'arrays nested 5,000 levels',
      body: order(`{"x":${deep(5_000, '[', ']')}}`),
      pointer: /^\/metadata\/x(\/0){30}$/,
      message: /nests deeper than 32 levels/,
    },
    {
      name: 'objects nested 5,000 levels',
      body: order(deep(5_000, '{"a":', '}')),
      pointer: /^\/metadata(\/a){31}$/,
      message: /nests deeper than 32 levels/,
    },
    {
      name: 'U+0000 in a value',
      body: order('{"note":"a\\u0000b"}'),
      pointer: /^\/metadata\/note$/,
      message: /U\+0000/,
    },
    {
      name: 'U+0000 in a member name (pointer escapes ~ and /)',
      body: order('{"a/b~c\\u0000":"x"}'),
      pointer: new RegExp(`^/metadata/a~1b~0c${String.fromCharCode(0)}$`),
      message: /member name contains U\+0000/,
    },
    {
      name: 'a lone high surrogate',
      body: order('{"note":"\\ud800"}'),
      pointer: /^\/metadata\/note$/,
      message: /lone surrogate/,
    },
    {
      name: 'a lone low surrogate',
      body: order('{"note":"ok \\udc00"}'),
      pointer: /^\/metadata\/note$/,
      message: /lone surrogate/,
    },
  ];
  for (const c of cases) {
    test(`${c.name} → 400 validation-failed with a pointer; no key, no order written`, async () => {
      const count = async (table: string) =>
        (await app.db.pool.query(`SELECT count(*)::int AS n FROM ${table}`)).rows[0].n;
      const [keysBefore, ordersBefore] = [await count('idempotency_keys'), await count('orders')];
      const response = await app.inject({
        method: 'POST',
        url: '/v1/orders',
        headers: { 'content-type': 'application/json' },
        payload: c.body,
      });
      assert.equal(response.statusCode, 400, response.body);
      assert.match(String(response.headers['content-type']), /^application\/problem\+json/);
      const problem = response.json();
      assert.equal(problem.type, '/problems/validation-failed');
      assert.equal(problem.errors.length, 1, JSON.stringify(problem.errors));
      assert.match(problem.errors[0].pointer, c.pointer);
      assert.match(problem.errors[0].message, c.message);
      assert.equal(problem.errors[0].in, 'body');
      assert.equal(await count('idempotency_keys'), keysBefore);
      assert.equal(await count('orders'), ordersBefore);
    });
  }

  test('other control characters are accepted and stored as sent', async () => {
    const response = await app.inject({
      method: 'POST',
      url: '/v1/orders',
      headers: { 'content-type': 'application/json' },
      payload: order('{"note":"tab\\there \\u0001 \\u001f \\ud83d\\ude00"}'),
    });
    assert.equal(response.statusCode, 201, response.body);
    assert.equal(response.json().metadata.note, 'tab\there \u0001 \u001f \u{1f600}');
  });
});

describe('errors before routing, on a listening server over raw sockets, are problems from the registry', () => {
  const key = () => `Authorization: Bearer ${app.tenant.apiKey}\r\n`;
  const get = (target: string, extra = '') => `GET ${target} HTTP/1.1\r\nHost: x\r\n${extra}\r\n`;
  const post = (headers: string, body: string) =>
    `POST /v1/orders HTTP/1.1\r\nHost: x\r\n${key()}Idempotency-Key: k-raw\r\nContent-Type: application/json\r\n${headers}\r\n${body}`;
  const ORDER = JSON.stringify({ currency: 'EUR', items: [{ sku: 'SKU-1', quantity: 1 }] });
  let port: number;
  before(async () => {
    await app.server.listen({ port: 0, host: '127.0.0.1' });
    port = (app.server.server.address() as AddressInfo).port;
  });
  const cases = () => [
    {
      name: 'headers over 16 KiB',
      request: get('/v1/orders', `X-Big: ${'a'.repeat(20_000)}\r\n`),
      status: 431,
      type: 'header-too-large',
    },
    {
      name: 'a control character in a header',
      request: get('/v1/orders', 'X-Bad: a\u0001b\r\n'),
      status: 400,
      type: 'bad-request',
    },
    {
      name: 'an unknown method',
      request: 'BREW /v1/orders HTTP/1.1\r\nHost: x\r\n\r\n',
      status: 400,
      type: 'bad-request',
    },
    {
      name: 'Content-Length not a number',
      request: post('Content-Length: x\r\n', ORDER),
      status: 400,
      type: 'bad-request',
    },
    {
      name: 'two different Content-Lengths',
      request: post(`Content-Length: ${ORDER.length}\r\nContent-Length: 3\r\n`, ORDER),
      status: 400,
      type: 'bad-request',
    },
    {
      name: 'Transfer-Encoding and Content-Length',
      request: post(
        `Content-Length: ${ORDER.length}\r\nTransfer-Encoding: chunked\r\n`,
        `${ORDER.length.toString(16)}\r\n${ORDER}\r\n0\r\n\r\n`,
      ),
      status: 400,
      type: 'bad-request',
    },
    {
      name: 'a URL over 8 KiB',
      request: get(`/v1/orders?cursor=${'a'.repeat(9_000)}`, key()),
      status: 414,
      type: 'uri-too-long',
    },
    {
      name: 'an order id over maxParamLength',
      request: get(`/v1/orders/ord_${'a'.repeat(200)}`, key()),
      status: 414,
      type: 'uri-too-long',
    },
    {
      name: 'an HTTP/1.1 request without Host',
      request: `GET /v1/orders HTTP/1.1\r\n${key()}\r\n`,
      status: 400,
      type: 'bad-request',
    },
    {
      name: 'malformed percent-encoding',
      request: get('/v1/orders/%ff', key()),
      status: 400,
      type: 'bad-request',
    },
  ];
  test('each case → its status and a registered problem type; the app keeps serving', async () => {
    const { problemRegistry } = await import('./app.ts');
    const registry = problemRegistry();
    const ordersBefore = (await app.db.pool.query('SELECT count(*)::int AS n FROM orders')).rows[0].n;
    for (const c of cases()) {
      const answer = await sendRawHttp(port, c.request);
      assert.equal(answer.status, c.status, `${c.name}: ${answer.body}`);
      assert.match(answer.headers['content-type'], /^application\/problem\+json/, c.name);
      const problem = JSON.parse(answer.body);
      assert.equal(problem.type, `/problems/${c.type}`, c.name);
      assert.equal(registry.get(c.type)?.status, c.status, c.name);
      assert.equal(answer.headers['x-request-id'], problem.requestId, c.name);
    }
    assert.equal((await app.db.pool.query('SELECT count(*)::int AS n FROM orders')).rows[0].n, ordersBefore);
    const after = await sendRawHttp(port, get('/v1/orders?limit=1', `${key()}Connection: close\r\n`));
    assert.equal(after.status, 200, after.body);
  });
});
