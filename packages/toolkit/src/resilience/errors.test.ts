/** Failure classification, Retry-After parsing and fetch failures as our own errors — every row written out. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  BrokenCircuitError,
  BulkheadRejectedError,
  classifyFailure,
  type FailureCategory,
  HttpStatusError,
  MalformedResponseError,
  NetworkError,
  parseRetryAfter,
  TimeoutError,
  toNetworkError,
  UnknownOutcomeError,
} from './errors.ts';

describe('classifyFailure', () => {
  // [what failed, category of a safe-to-repeat request, category of an unkeyed write]
  const table: [string, unknown, FailureCategory, FailureCategory][] = [
    ['429', new HttpStatusError(429), 'rate-limited', 'rate-limited'],
    ['500', new HttpStatusError(500), 'transient', 'transient'],
    ['502', new HttpStatusError(502), 'transient', 'transient'],
    ['503', new HttpStatusError(503), 'transient', 'transient'],
    ['504', new HttpStatusError(504), 'transient', 'transient'],
    ['400', new HttpStatusError(400), 'permanent', 'permanent'],
    ['401', new HttpStatusError(401), 'permanent', 'permanent'],
    ['403', new HttpStatusError(403), 'permanent', 'permanent'],
    ['404', new HttpStatusError(404), 'permanent', 'permanent'],
    ['409', new HttpStatusError(409), 'permanent', 'permanent'],
    ['422', new HttpStatusError(422), 'permanent', 'permanent'],
    ['501', new HttpStatusError(501), 'permanent', 'permanent'],
    ['a malformed 2xx body', new MalformedResponseError('bad json'), 'permanent', 'permanent'],
    ['an open breaker', new BrokenCircuitError('open'), 'transient', 'transient'],
    ['a full bulkhead', new BulkheadRejectedError('full'), 'transient', 'transient'],
    [
      'a bulkhead queue timeout',
      new BulkheadRejectedError('late', 'queue-timeout'),
      'transient',
      'transient',
    ],
    ['a timeout', new TimeoutError('slow'), 'transient', 'unknown-outcome'],
    ['a reset after sending', new NetworkError('ECONNRESET', true), 'transient', 'unknown-outcome'],
    ['a refused connection', new NetworkError('ECONNREFUSED', false), 'transient', 'transient'],
    ['an unknown outcome', new UnknownOutcomeError('maybe'), 'unknown-outcome', 'unknown-outcome'],
    ['a plain Error', new Error('bug'), 'permanent', 'permanent'],
    ['a thrown string', 'oops', 'permanent', 'permanent'],
    ['undefined', undefined, 'permanent', 'permanent'],
  ];
  for (const [what, error, idempotent, unkeyed] of table) {
    test(`${what}: ${idempotent} when safe to repeat, ${unkeyed} for an unkeyed write`, () => {
      assert.equal(classifyFailure(error, { idempotent: true }), idempotent);
      assert.equal(classifyFailure(error, { idempotent: false }), unkeyed);
    });
  }
});

describe('parseRetryAfter', () => {
  const now = Date.UTC(2026, 0, 1, 0, 0, 0);
  const table: [string | null | undefined, number | undefined][] = [
    [undefined, undefined],
    [null, undefined],
    ['', undefined],
    ['0', 0],
    ['3', 3000],
    [' 7 ', 7000],
    ['120', 120_000],
    ['Thu, 01 Jan 2026 00:00:30 GMT', 30_000],
    ['Thursday, 01-Jan-26 00:00:30 GMT', 30_000],
    ['Thu Jan  1 00:00:30 2026', 30_000],
    ['Wed, 31 Dec 2025 23:59:00 GMT', 0], // a date in the past: retry now, never a negative pause
    ['soon', undefined],
    ['1.5', undefined], // neither delay-seconds nor an HTTP date (Date.parse would read 5 Jan 2001)
    ['-1', undefined], // Date.parse would read the year 2001
    ['10s', undefined],
  ];
  for (const [value, expected] of table) {
    test(`${JSON.stringify(value)} → ${expected}`, () => {
      assert.equal(parseRetryAfter(value, now), expected);
    });
  }
});

describe('toNetworkError', () => {
  const fetchFailed = (code: string) =>
    new TypeError('fetch failed', { cause: Object.assign(new Error(`${code} detail`), { code }) });

  test('our own and the platform’s timeouts and a caller’s abort pass through unchanged', () => {
    const ours = new TimeoutError('timed out after 100 ms');
    assert.equal(toNetworkError(ours), ours);
    const platform = new DOMException('signal timed out', 'TimeoutError');
    assert.equal(toNetworkError(platform), platform);
    const abort = new DOMException('This operation was aborted', 'AbortError');
    assert.equal(toNetworkError(abort), abort);
  });

  test('undici’s header and body timeouts become TimeoutError', () => {
    for (const code of ['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']) {
      const error = toNetworkError(fetchFailed(code));
      assert.ok(error instanceof TimeoutError, code);
      assert.equal(error.message, code);
    }
  });

  // [code, may the request have reached the partner?]
  const table: [string, boolean][] = [
    ['ECONNREFUSED', false],
    ['ENOTFOUND', false],
    ['EAI_AGAIN', false],
    ['UND_ERR_CONNECT_TIMEOUT', false],
    ['ECONNRESET', true],
    ['EPIPE', true],
    ['UND_ERR_SOCKET', true],
  ];
  for (const [code, maybeDelivered] of table) {
    test(`${code} → NetworkError, maybeDelivered ${maybeDelivered}`, () => {
      const original = fetchFailed(code);
      const error = toNetworkError(original);
      assert.ok(error instanceof NetworkError);
      assert.equal(error.maybeDelivered, maybeDelivered);
      assert.equal(error.message, `${code}: ${code} detail`);
      assert.equal(error.cause, original);
    });
  }

  test('a code on the error itself counts too; a TypeError without one may have been delivered', () => {
    const direct = toNetworkError(Object.assign(new Error('refused'), { code: 'ECONNREFUSED' }));
    assert.ok(direct instanceof NetworkError);
    assert.equal(direct.maybeDelivered, false);
    const bare = toNetworkError(new TypeError('terminated'));
    assert.ok(bare instanceof NetworkError);
    assert.equal(bare.maybeDelivered, true);
    assert.equal(bare.message, 'network error: terminated');
  });

  test('anything else is passed on as it is', () => {
    const bug = new Error('a bug of ours');
    assert.equal(toNetworkError(bug), bug);
    const status = new HttpStatusError(503);
    assert.equal(toNetworkError(status), status);
  });
});

describe('the error classes and edge inputs', () => {
  test('each class names itself; a bulkhead rejection is `full` unless told', () => {
    assert.deepEqual(
      [
        new TimeoutError('t'),
        new BrokenCircuitError('b'),
        new BulkheadRejectedError('f'),
        new HttpStatusError(500),
        new MalformedResponseError('m'),
        new NetworkError('n', false),
        new UnknownOutcomeError('u'),
      ].map((e) => e.name),
      [
        'TimeoutError',
        'BrokenCircuitError',
        'BulkheadRejectedError',
        'HttpStatusError',
        'MalformedResponseError',
        'NetworkError',
        'UnknownOutcomeError',
      ],
    );
    assert.equal(new BulkheadRejectedError('f').reason, 'full');
    assert.equal(new HttpStatusError(502).message, 'HTTP 502');
  });

  test('Retry-After: a date must start with a day name, even one Date.parse would read', () => {
    const now = Date.UTC(2026, 0, 1);
    assert.equal(parseRetryAfter('1 Jan 2030 00:00:00 GMT', now), undefined);
    assert.equal(parseRetryAfter('J 2030-01-01', now), undefined);
  });

  test('toNetworkError passes null and undefined on as they are', () => {
    assert.equal(toNetworkError(null), null);
    assert.equal(toNetworkError(undefined), undefined);
  });
});
