/** problemServerOptions on a real listening server, driven over raw sockets: errors before routing are problems. */
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import {
  coreProblems,
  createProblemRegistry,
  jsonBody,
  problemServerOptions,
  problems,
} from '@steadfast/toolkit/problems';
import { sendRawHttp } from '@steadfast/toolkit/testing';
import Fastify, { type FastifyInstance } from 'fastify';

const get = (target: string, extra = '') => `GET ${target} HTTP/1.1\r\nHost: x\r\n${extra}\r\n`;
const post = (headers: string, body: string) =>
  `POST /items HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n${headers}\r\n${body}`;

/** Each case: raw request, expected status and problem type. */
const RAW_CASES: { name: string; request: string; status: number; type: string }[] = [
  {
    name: 'headers over maxHeaderSize',
    request: get('/items/1', `X-Big: ${'a'.repeat(20_000)}\r\n`),
    status: 431,
    type: 'header-too-large',
  },
  {
    name: 'a control character in a header value',
    request: get('/items/1', 'X-Bad: a\u0001b\r\n'),
    status: 400,
    type: 'bad-request',
  },
  {
    name: 'a space in a header name',
    request: get('/items/1', 'X Bad: b\r\n'),
    status: 400,
    type: 'bad-request',
  },
  {
    name: 'an invalid method',
    request: 'G(T /items/1 HTTP/1.1\r\nHost: x\r\n\r\n',
    status: 400,
    type: 'bad-request',
  },
  {
    name: 'an unknown method',
    request: 'BREW /items/1 HTTP/1.1\r\nHost: x\r\n\r\n',
    status: 400,
    type: 'bad-request',
  },
  {
    name: 'an unsupported HTTP version',
    request: 'GET /items/1 HTTP/9.9\r\nHost: x\r\n\r\n',
    status: 400,
    type: 'bad-request',
  },
  {
    name: 'a control character in the URL',
    request: get('/items/a\u0001b'),
    status: 400,
    type: 'bad-request',
  },
  {
    name: 'Content-Length not a number',
    request: post('Content-Length: abc\r\n', '{}'),
    status: 400,
    type: 'bad-request',
  },
  {
    name: 'two different Content-Lengths',
    request: post('Content-Length: 2\r\nContent-Length: 3\r\n', '{}'),
    status: 400,
    type: 'bad-request',
  },
  {
    name: 'Transfer-Encoding with Content-Length',
    request: post('Content-Length: 2\r\nTransfer-Encoding: chunked\r\n', '2\r\n{}\r\n0\r\n\r\n'),
    status: 400,
    type: 'bad-request',
  },
  {
    name: 'a bad chunk size',
    request: post('Transfer-Encoding: chunked\r\n', 'zz\r\n{}\r\n0\r\n\r\n'),
    status: 400,
    type: 'bad-request',
  },
  {
    name: 'a URL over 8 KiB',
    request: get(`/items?q=${'a'.repeat(9_000)}`),
    status: 414,
    type: 'uri-too-long',
  },
  {
    name: 'a path parameter over maxParamLength',
    request: get(`/items/${'a'.repeat(200)}`),
    status: 414,
    type: 'uri-too-long',
  },
  { name: 'malformed percent-encoding (%ff)', request: get('/items/%ff'), status: 400, type: 'bad-request' },
  { name: 'malformed percent-encoding (%zz)', request: get('/items/%zz'), status: 400, type: 'bad-request' },
];

let app: FastifyInstance;
let port: number;
before(async () => {
  const registry = createProblemRegistry(coreProblems);
  // docs:start server-options
  const server = Fastify({
    ...problemServerOptions({ registry }), // Node's parser errors and the router's: problems too
    http: { requireHostHeader: false }, // so a missing Host is answered by the problems plugin
  });
  await server.register(problems, { registry, maxUrlBytes: 8192 }); // longer targets → 414 uri-too-long
  // docs:end server-options
  await server.register(jsonBody);
  server.get('/items/:id', async (request) => ({ id: (request.params as { id: string }).id }));
  server.post('/items', async (request) => ({ got: request.body }));
  await server.listen({ port: 0, host: '127.0.0.1' });
  app = server as unknown as FastifyInstance;
  port = (server.server.address() as AddressInfo).port;
});
after(() => app?.close());

describe('problemServerOptions', () => {
  for (const c of [
    ...RAW_CASES,
    {
      name: 'no Host on HTTP/1.1',
      request: 'GET /items/1 HTTP/1.1\r\n\r\n',
      status: 400,
      type: 'bad-request',
    },
  ]) {
    test(`${c.name} → ${c.status} ${c.type} as problem+json`, async () => {
      const answer = await sendRawHttp(port, c.request);
      assert.equal(answer.status, c.status, answer.body);
      assert.match(answer.headers['content-type'], /^application\/problem\+json/);
      const problem = JSON.parse(answer.body);
      assert.equal(problem.type, `/problems/${c.type}`);
      assert.equal(problem.status, c.status);
      // parser errors get a fresh id (there is no request yet); routed ones carry the request's id
      assert.match(problem.requestId, /^req[_-][A-Za-z0-9_-]+$/);
      if (c.status === 431 || answer.headers.connection === 'close')
        assert.equal(answer.headers['x-request-id'], problem.requestId);
    });
  }

  test('parser errors close the connection; the server keeps serving', async () => {
    const broken = await sendRawHttp(port, get('/items/1', 'X-Bad: a\u0001b\r\n'));
    assert.equal(broken.headers.connection, 'close');
    const fine = await sendRawHttp(port, get('/items/1', 'Connection: close\r\n'));
    assert.equal(fine.status, 200);
    assert.deepEqual(JSON.parse(fine.body), { id: '1' });
  });

  test('an absolute-form target is routed by its path; a GET body is ignored', async () => {
    const absolute = await sendRawHttp(port, get('http://example.com/items/7', 'Connection: close\r\n'));
    assert.equal(absolute.status, 200);
    assert.deepEqual(JSON.parse(absolute.body), { id: '7' });
    const withBody = await sendRawHttp(
      port,
      get('/items/8', 'Connection: close\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n') + 'hi',
    );
    assert.equal(withBody.status, 200);
  });
});
