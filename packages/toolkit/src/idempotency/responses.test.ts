/** How answers are kept (toStored), sent (send) and replayed (replay), and which categories are never kept. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import Fastify from 'fastify';
import { NEVER_STORED_CATEGORIES, replay, send, toStored } from './responses.ts';

describe('stored answers', () => {
  test('categories whose answers are never stored: auth, rate limits, idempotency, preconditions, 5xx', () => {
    assert.deepEqual(
      [...NEVER_STORED_CATEGORIES],
      ['unauthorized', 'forbidden', 'rate-limited', 'idempotency', 'precondition', 'dependency', 'internal'],
    );
  });

  test('toStored keeps content-type, location, etag and retry-after (any case, named in lower case) and drops the rest', () => {
    const { stored, bytes } = toStored(
      {
        status: 201,
        body: { text: 'héllo' },
        headers: {
          Location: '/notes/1',
          ETAG: '"v1"',
          'Retry-After': '3',
          'X-Trace': 'dropped',
          'cache-control': 'no-store',
        },
      },
      1024,
    );
    assert.deepEqual(stored, {
      status: 201,
      headers: {
        'content-type': 'application/json; charset=utf-8',
        location: '/notes/1',
        etag: '"v1"',
        'retry-after': '3',
      },
      // {"text":"héllo"} in UTF-8: é is c3 a9
      body: Buffer.from('7b2274657874223a2268c3a96c6c6f227d', 'hex'),
    });
    assert.equal(bytes.toString('hex'), '7b2274657874223a2268c3a96c6c6f227d');
  });

  test('toStored: a given content type is kept; a body over the limit is not stored (the bytes are still sent)', () => {
    const { stored, bytes } = toStored(
      { status: 200, body: 'abcdef', contentType: 'text/plain', headers: { 'Content-Type': 'text/csv' } },
      7,
    );
    assert.deepEqual(stored.headers, { 'content-type': 'text/csv' });
    assert.equal(stored.body, null, '"abcdef" is 8 bytes');
    assert.equal(bytes.toString('utf8'), '"abcdef"');
    assert.equal(toStored({ status: 200, body: 'abcde' }, 7).stored.body?.toString('utf8'), '"abcde"');
  });

  test('send answers with the status, the headers and JSON by default; replay adds Idempotent-Replayed', async (t) => {
    const app = Fastify();
    t.after(() => app.close());
    app.get('/json', (_request, reply) => {
      const result = { status: 202, body: { a: 1 }, headers: { ETag: '"e"' } };
      return send(reply, result, toStored(result, 100).bytes);
    });
    app.get('/text', (_request, reply) => {
      const result = { status: 200, body: 'hi', contentType: 'text/plain; charset=utf-8' };
      return send(reply, result, toStored(result, 100).bytes);
    });
    app.get('/replay', (_request, reply) =>
      replay(reply, {
        status: 201,
        headers: { 'content-type': 'application/json; charset=utf-8', location: '/n/9' },
        body: Buffer.from('{"id":9}'),
      }),
    );
    app.get('/replay-empty', (_request, reply) =>
      replay(reply, {
        status: 201,
        headers: { 'content-type': 'application/json; charset=utf-8' },
        body: null,
      }),
    );
    const json = await app.inject('/json');
    assert.equal(json.statusCode, 202);
    assert.equal(json.headers['content-type'], 'application/json; charset=utf-8');
    assert.equal(json.headers.etag, '"e"');
    assert.equal(json.body, '{"a":1}');
    const text = await app.inject('/text');
    assert.equal(text.headers['content-type'], 'text/plain; charset=utf-8');
    assert.equal(text.body, '"hi"');
    const replayed = await app.inject('/replay');
    assert.equal(replayed.statusCode, 201);
    assert.equal(replayed.headers['idempotent-replayed'], 'true');
    assert.equal(replayed.headers.location, '/n/9');
    assert.equal(replayed.headers['content-type'], 'application/json; charset=utf-8');
    assert.equal(replayed.body, '{"id":9}');
    const empty = await app.inject('/replay-empty');
    assert.equal(empty.headers['idempotent-replayed'], 'true');
    assert.equal(empty.body, '');
  });
});
