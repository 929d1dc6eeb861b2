/**
 * problemServerOptions piece by piece: the raw answer to each parser error
 * (literal status lines, details and headers), what the client-error handler
 * does with sockets in each state, and the router errors' problems.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import Fastify from 'fastify';
import { coreProblems, createProblemRegistry } from './registry.ts';
import { problemServerOptions, rawProblemResponse } from './server-options.ts';

const registry = createProblemRegistry(coreProblems);
const clientError = (code?: string) => Object.assign(new Error('parser said no'), { code });

function parse(raw: string) {
  const [head, body] = raw.split('\r\n\r\n');
  const [statusLine, ...headerLines] = head.split('\r\n');
  return { statusLine, headers: headerLines, body: JSON.parse(body) };
}

describe('rawProblemResponse', () => {
  const DETAILS: [code: string | undefined, status: string, slug: string, detail: string][] = [
    [
      'HPE_HEADER_OVERFLOW',
      '431 Request Header Fields Too Large',
      'header-too-large',
      'The request line and headers exceed the size limit.',
    ],
    [
      'ERR_HTTP_REQUEST_TIMEOUT',
      '408 Request Timeout',
      'request-timeout',
      'The request was not received in time.',
    ],
    [
      'HPE_INVALID_METHOD',
      '400 Bad Request',
      'bad-request',
      'The request method is not a valid HTTP method.',
    ],
    ['HPE_INVALID_URL', '400 Bad Request', 'bad-request', 'The request target is not a valid URL.'],
    [
      'HPE_INVALID_HEADER_TOKEN',
      '400 Bad Request',
      'bad-request',
      'A header name or value has characters HTTP does not allow.',
    ],
    [
      'HPE_INVALID_CONTENT_LENGTH',
      '400 Bad Request',
      'bad-request',
      'Content-Length is invalid, repeated with different values, or sent with Transfer-Encoding.',
    ],
    [
      'HPE_UNEXPECTED_CONTENT_LENGTH',
      '400 Bad Request',
      'bad-request',
      'Content-Length is invalid, repeated with different values, or sent with Transfer-Encoding.',
    ],
    [
      'HPE_INVALID_TRANSFER_ENCODING',
      '400 Bad Request',
      'bad-request',
      'The Transfer-Encoding or the chunked body is invalid.',
    ],
    [
      'HPE_INVALID_CHUNK_SIZE',
      '400 Bad Request',
      'bad-request',
      'The Transfer-Encoding or the chunked body is invalid.',
    ],
    [
      'HPE_INVALID_VERSION',
      '400 Bad Request',
      'bad-request',
      'The request is not valid HTTP/1.1 (HPE_INVALID_VERSION).',
    ],
    // a code that is not a plain upper-case token is not echoed (it could carry the client's bytes)
    ['HPE_<script>', '400 Bad Request', 'bad-request', 'The request is not valid HTTP/1.1.'],
    [`HPE_${'X'.repeat(40)}`, '400 Bad Request', 'bad-request', 'The request is not valid HTTP/1.1.'],
    [undefined, '400 Bad Request', 'bad-request', 'The request is not valid HTTP/1.1.'],
  ];
  for (const [code, status, slug, detail] of DETAILS) {
    test(`${code ?? 'no code'} → ${status}`, () => {
      const raw = rawProblemResponse(registry, clientError(code), 'req_1');
      const { statusLine, headers, body } = parse(raw);
      assert.equal(statusLine, `HTTP/1.1 ${status}`);
      const bodyText = raw.slice(raw.indexOf('\r\n\r\n') + 4);
      assert.deepEqual(headers, [
        'Content-Type: application/problem+json; charset=utf-8',
        `Content-Length: ${Buffer.byteLength(bodyText)}`,
        'X-Request-Id: req_1',
        'Connection: close',
      ]);
      assert.equal(body.type, `/problems/${slug}`);
      assert.equal(body.detail, detail);
      assert.equal(body.instance, '');
      assert.equal(body.requestId, 'req_1');
    });
  }

  test('a status Node has no reason phrase for says Error', () => {
    const odd = createProblemRegistry([
      ...coreProblems.filter((p) => p.slug !== 'bad-request'),
      { ...coreProblems.find((p) => p.slug === 'bad-request')!, status: 499 },
    ]);
    assert.equal(parse(rawProblemResponse(odd, clientError('X'), 'r')).statusLine, 'HTTP/1.1 499 Error');
  });
});

/** a socket double that records what the handler did */
function fakeSocket(state: { destroyed?: boolean; writable?: boolean } = {}) {
  const calls: string[] = [];
  let written = '';
  return {
    calls,
    written: () => written,
    socket: {
      destroyed: state.destroyed ?? false,
      writable: state.writable ?? true,
      end(data: string, callback: () => void) {
        calls.push('end');
        written = data;
        callback();
      },
      destroy() {
        calls.push('destroy');
      },
    },
  };
}

describe('clientErrorHandler', () => {
  const logged: unknown[] = [];
  const self = { log: { info: (...args: unknown[]) => logged.push(args) } };
  const options = problemServerOptions({ registry, newRequestId: () => 'req_fixed' });
  const handle = (code: string, socket: ReturnType<typeof fakeSocket>['socket']) =>
    options.clientErrorHandler.call(self as never, clientError(code), socket as never);

  test('answers with the raw problem, then destroys the socket; the log has the id and code', () => {
    const fake = fakeSocket();
    logged.length = 0;
    handle('HPE_INVALID_METHOD', fake.socket);
    assert.deepEqual(fake.calls, ['end', 'destroy']);
    const written = fake.written();
    assert.ok(written.startsWith('HTTP/1.1 400 Bad Request\r\n'), written);
    assert.ok(written.includes('\r\nX-Request-Id: req_fixed\r\nConnection: close\r\n\r\n'));
    assert.ok(written.includes('"detail":"The request method is not a valid HTTP method."'));
    assert.ok(written.includes('"requestId":"req_fixed"'));
    assert.deepEqual(logged, [
      [{ requestId: 'req_fixed', code: 'HPE_INVALID_METHOD' }, 'client error before routing'],
    ]);
  });

  test('a reset or destroyed connection gets nothing; an unwritable one is destroyed unanswered', () => {
    const reset = fakeSocket();
    logged.length = 0;
    handle('ECONNRESET', reset.socket);
    assert.deepEqual(reset.calls, []);
    const gone = fakeSocket({ destroyed: true });
    handle('HPE_INVALID_URL', gone.socket);
    assert.deepEqual(gone.calls, []);
    assert.deepEqual(logged, []);
    const stuck = fakeSocket({ writable: false });
    handle('HPE_INVALID_URL', stuck.socket);
    assert.deepEqual(stuck.calls, ['destroy']);
    assert.equal(logged.length, 1);
  });

  test('the default request id is req_ and 12 random bytes in base64url', () => {
    const fake = fakeSocket();
    problemServerOptions({ registry }).clientErrorHandler.call(
      self as never,
      clientError('X'),
      fake.socket as never,
    );
    const id = /X-Request-Id: (\S+)/.exec(fake.written())?.[1];
    assert.match(String(id), /^req_[A-Za-z0-9_-]{16}$/);
  });
});

describe('frameworkErrors', () => {
  const CASES: [code: string, status: number, slug: string, detail: string, level: string][] = [
    [
      'FST_ERR_BAD_URL',
      400,
      'bad-request',
      'The path is not a valid URL: it has malformed percent-encoding.',
      'info',
    ],
    ['FST_ERR_MAX_PARAM_LENGTH', 414, 'uri-too-long', 'A path segment is longer than the limit.', 'info'],
    ['FST_ERR_ASYNC_CONSTRAINT', 500, 'internal-error', 'An unexpected error occurred.', 'error'],
    ['FST_ERR_SOMETHING_NEW', 400, 'bad-request', 'The request could not be routed.', 'info'],
  ];
  for (const [code, status, slug, detail, level] of CASES) {
    test(`${code} → ${status} ${slug}, logged at the level it deserves`, async (t) => {
      const levels: string[] = [];
      const options = problemServerOptions({ registry });
      const app = Fastify();
      t.after(() => app.close());
      app.get('/x', (request, reply) => {
        for (const level of ['info', 'error'] as const)
          request.log[level] = ((..._args: unknown[]) => levels.push(level)) as never;
        options.frameworkErrors(Object.assign(new Error('router'), { code }) as never, request, reply);
      });
      const response = await app.inject({ method: 'GET', url: '/x' });
      assert.equal(response.statusCode, status);
      assert.equal(response.json().type, `/problems/${slug}`);
      assert.equal(response.json().detail, detail);
      assert.deepEqual(levels, [level]);
    });
  }
});
