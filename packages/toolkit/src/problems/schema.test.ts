import assert from 'node:assert/strict';
import { test } from 'node:test';
import { problemResponses, withFrameworkProblems } from './schema.ts';

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
