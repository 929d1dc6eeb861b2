/** Usage of @steadfast/toolkit/concurrency on a bare Fastify app: ETags out, If-Match in, 428/412 problems. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  formatEtag,
  ifMatchAllows,
  parseIfMatch,
  preconditionFailed,
  preconditionRequired,
} from '@steadfast/toolkit/concurrency';
import {
  coreProblems,
  createProblemRegistry,
  jsonBody,
  ProblemError,
  problems,
} from '@steadfast/toolkit/problems';
import Fastify, { type FastifyInstance } from 'fastify';

async function buildApp(): Promise<{ app: FastifyInstance; notes: Map<string, Note> }> {
  const app = Fastify();
  await app.register(problems, { registry: createProblemRegistry(coreProblems) });
  await app.register(jsonBody);
  // docs:start etag
  const notes = new Map<string, { text: string; version: number }>();
  const find = (id: string) => {
    const note = notes.get(id);
    if (!note) throw new ProblemError('not-found', { detail: `No note ${id}.` });
    return note;
  };

  app.get<{ Params: { id: string } }>('/notes/:id', async (request, reply) => {
    const note = find(request.params.id);
    return reply.header('ETag', formatEtag(note.version)).send(note);
  });

  app.put<{ Params: { id: string }; Body: { text: string } }>(
    '/notes/:id',
    {
      // before schema validation, so a missing If-Match is a 428 and a malformed one a 400
      preValidation: async (request) => {
        if (request.headers['if-match'] === undefined) throw preconditionRequired();
        parseIfMatch(request.headers['if-match']);
      },
    },
    async (request, reply) => {
      const note = find(request.params.id);
      const ifMatch = parseIfMatch(request.headers['if-match']);
      if (!ifMatchAllows(ifMatch, note.version)) throw preconditionFailed(note.version);
      // with a database: UPDATE ... SET version = version + 1 WHERE id = $1 AND version = $2
      const updated = { text: request.body.text, version: note.version + 1 };
      notes.set(request.params.id, updated);
      return reply.header('ETag', formatEtag(updated.version)).send(updated);
    },
  );
  // docs:end etag
  return { app, notes };
}

type Note = { text: string; version: number };
let app: FastifyInstance;
let notes: Map<string, Note>;
before(async () => {
  ({ app, notes } = await buildApp());
});
after(() => app.close());

function put(ifMatch: string | undefined, text = 'edited') {
  return app.inject({
    method: 'PUT',
    url: '/notes/n1',
    headers: {
      'content-type': 'application/json',
      ...(ifMatch === undefined ? {} : { 'if-match': ifMatch }),
    },
    payload: JSON.stringify({ text }),
  });
}

describe('ETag and If-Match on a bare Fastify app', () => {
  test('GET carries the version as a strong ETag; a matching If-Match writes and returns the next one', async () => {
    notes.set('n1', { text: 'first', version: 1 });
    const read = await app.inject({ method: 'GET', url: '/notes/n1' });
    assert.equal(read.headers.etag, '"1"');
    const written = await put(String(read.headers.etag));
    assert.equal(written.statusCode, 200);
    assert.equal(written.headers.etag, '"2"');
    assert.equal(notes.get('n1')?.text, 'edited');
  });

  test('no If-Match → 428 precondition-required, and nothing changes', async () => {
    notes.set('n1', { text: 'first', version: 1 });
    const response = await put(undefined);
    assert.equal(response.statusCode, 428);
    assert.match(String(response.headers['content-type']), /^application\/problem\+json/);
    const body = response.json();
    assert.equal(body.type, '/problems/precondition-required');
    assert.equal(body.status, 428);
    assert.equal(body.category, 'precondition');
    assert.equal(body.retryable, false);
    assert.equal(notes.get('n1')?.version, 1);
  });

  test('a stale If-Match → 412 precondition-failed carrying the current ETag in body and header', async () => {
    notes.set('n1', { text: 'changed by someone else', version: 4 });
    const response = await put('"3"');
    assert.equal(response.statusCode, 412);
    const body = response.json();
    assert.equal(body.type, '/problems/precondition-failed');
    assert.equal(body.category, 'precondition');
    assert.equal(body.retryable, false);
    assert.equal(body.currentEtag, '"4"');
    assert.equal(response.headers.etag, '"4"');
    assert.equal(notes.get('n1')?.text, 'changed by someone else');
  });

  test('two writers with the same ETag: the first wins, the second gets 412', async () => {
    notes.set('n1', { text: 'first', version: 1 });
    const [a, b] = await Promise.all([put('"1"', 'a'), put('"1"', 'b')]);
    assert.deepEqual([a.statusCode, b.statusCode].sort(), [200, 412]);
    assert.equal(notes.get('n1')?.version, 2);
  });

  test('an unknown note is a 404 problem, with or without If-Match', async () => {
    const response = await app.inject({ method: 'PUT', url: '/notes/nope', headers: { 'if-match': '"1"' } });
    assert.equal(response.statusCode, 404);
    assert.equal(response.json().type, '/problems/not-found');
  });

  test('a malformed If-Match → 400 validation-failed pointing at the header', async () => {
    notes.set('n1', { text: 'first', version: 1 });
    for (const bad of ['1', '"1', 'W/1', '"1",,', '"1", *']) {
      const response = await put(bad);
      assert.equal(response.statusCode, 400, bad);
      const body = response.json();
      assert.equal(body.type, '/problems/validation-failed');
      assert.equal(body.category, 'validation');
      assert.equal(body.retryable, false);
      assert.deepEqual(body.errors, [
        { pointer: '/if-match', message: 'must be * or entity tags like "3"', in: 'header' },
      ]);
    }
  });

  test('weak and foreign tags never match; * and a list containing the current ETag do', async () => {
    notes.set('n1', { text: 'first', version: 1 });
    assert.equal((await put('W/"1"')).statusCode, 412);
    assert.equal((await put('"abc"')).statusCode, 412);
    assert.equal((await put('"0", "1"')).statusCode, 200);
    assert.equal((await put('*')).statusCode, 200);
    assert.equal(notes.get('n1')?.version, 3);
  });
});

describe('the helpers alone', () => {
  test('parse, compare, format', () => {
    assert.equal(formatEtag(7), '"7"');
    assert.deepEqual(parseIfMatch('"7", W/"8"'), { any: false, versions: [7] });
    assert.equal(parseIfMatch(undefined), undefined);
    assert.equal(ifMatchAllows(undefined, 7), true, 'an absent If-Match allows (optional on actions)');
    assert.equal(ifMatchAllows(parseIfMatch('"6"'), 7), false);
  });
});
