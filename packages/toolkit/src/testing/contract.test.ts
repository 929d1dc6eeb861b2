import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createContractChecker } from './contract.ts';

const doc = {
  paths: {
    '/things/{id}': {
      get: {
        responses: {
          '200': {
            content: {
              'application/json': {
                schema: { type: 'object', required: ['id'], properties: { id: { type: 'string' } } },
              },
            },
          },
          '404': {
            content: { 'application/problem+json': { schema: { type: 'object', required: ['type'] } } },
          },
        },
      },
    },
  },
};
const checker = await createContractChecker(doc);
const base = { method: 'GET', path: '/things/1', contentType: 'application/json; charset=utf-8' };

test('a conforming response has no violations', () => {
  assert.deepEqual(checker.check({ ...base, status: 200, body: '{"id":"1"}' }), []);
});

test('a body that breaks the schema is reported', () => {
  const [violation] = checker.check({ ...base, status: 200, body: '{"id":1}' });
  assert.match(violation, /GET \/things\/\{id\} → 200: .*must be string/);
});

test('an undocumented status, content type or method is reported', () => {
  assert.match(checker.check({ ...base, status: 500, body: '{}' })[0], /status not documented/);
  assert.match(
    checker.check({ ...base, status: 404, contentType: 'text/plain', body: 'x' })[0],
    /content type text\/plain not documented/,
  );
  assert.match(
    checker.check({ ...base, method: 'DELETE', status: 200, body: '' })[0],
    /method not documented/,
  );
});

test('paths outside the document are not judged', () => {
  assert.deepEqual(checker.check({ ...base, path: '/healthz', status: 200, body: 'ok' }), []);
});
