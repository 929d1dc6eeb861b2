import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ProblemSchema, problemResponses, withFrameworkProblems } from './schema.ts';

test('withFrameworkProblems documents the statuses any route can answer, keeping what a route says itself', () => {
  const own = { description: 'the order is not a draft', content: {} };
  const document = withFrameworkProblems({
    openapi: '3.1.0',
    paths: {
      '/orders': {
        get: { responses: { 200: { description: 'ok' } } },
        post: { responses: { 201: { description: 'created' }, 400: own } },
        parameters: [],
      },
    },
  });
  const { get, post } = document.paths['/orders'];
  assert.deepEqual(Object.keys(get.responses).sort(), ['200', '400', '414', '500', '503']);
  assert.deepEqual(Object.keys(post.responses).sort(), ['201', '400', '413', '414', '415', '500', '503']);
  assert.equal(post.responses[400], own, "a route's own entry is kept");
  assert.deepEqual((post.responses as Record<string, unknown>)[415], problemResponses(415)[415]);
});

test('problemResponses: each status once, 500 and 503 always, each a problem+json entry with the Problem schema', () => {
  const responses = problemResponses(404, 409, 404);
  assert.deepEqual(Object.keys(responses), ['404', '409', '500', '503']);
  assert.deepEqual(problemResponses(503)[503], {
    description: 'Problem (503)',
    content: { 'application/problem+json': { schema: ProblemSchema } },
  });
  assert.deepEqual(Object.keys(problemResponses()), ['500', '503']);
  const schema = ProblemSchema as unknown as { title: string; additionalProperties: boolean };
  assert.equal(schema.title, 'Problem');
  assert.equal(schema.additionalProperties, true);
  assert.deepEqual(ProblemSchema.required, [
    'type',
    'title',
    'status',
    'detail',
    'instance',
    'category',
    'retryable',
    'requestId',
  ]);
});

test('withFrameworkProblems: every body method gets 413 and 415; operations without responses get them; no paths is fine', () => {
  const document = withFrameworkProblems({
    paths: {
      '/x': {
        put: { responses: {} },
        patch: { responses: {} },
        delete: { responses: {} },
        head: { responses: {} },
        options: { responses: undefined },
        summary: 'not an operation',
        trace: null,
        servers: [{ url: '/' }],
      },
    },
  });
  const item = document.paths['/x'] as unknown as Record<string, { responses?: Record<string, unknown> }>;
  for (const method of ['put', 'patch', 'delete'])
    assert.deepEqual(
      Object.keys(item[method].responses ?? {}),
      ['400', '413', '414', '415', '500', '503'],
      method,
    );
  assert.deepEqual(Object.keys(item.head.responses ?? {}), ['400', '414', '500', '503']);
  assert.deepEqual(Object.keys(item.options.responses ?? {}), ['400', '414', '500', '503']);
  assert.equal(document.paths['/x'].summary, 'not an operation');
  assert.equal(document.paths['/x'].trace, null);
  assert.deepEqual(document.paths['/x'].servers, [{ url: '/' }]);
  const empty = { openapi: '3.1.0' };
  assert.equal(withFrameworkProblems(empty), empty);
  assert.deepEqual(empty, { openapi: '3.1.0' });
});
