/** changes.ts on its own: which route keys a change may name, the plain route key, and the OpenAPI key of a route. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { checkRouteKey, openApiKey, routeKey } from './changes.ts';

describe('checkRouteKey', () => {
  test('"METHOD /template" for each method, and "*", are accepted', () => {
    for (const key of [
      'GET /notes/:id',
      'HEAD /notes',
      'POST /notes',
      'PUT /notes/:id',
      'PATCH /notes/:id',
      'DELETE /notes/:id',
      'OPTIONS /notes',
      'GET /',
      '*',
    ])
      assert.doesNotThrow(() => checkRouteKey(key, 'here'), key);
  });

  test('anything else is refused, naming where and the key', () => {
    for (const key of [
      '/notes',
      'get /notes',
      'TRACE /notes',
      'XGET /notes',
      'GET /notes x',
      'GET  /notes',
      'GET notes',
      '**',
      '',
    ])
      assert.throws(
        () => checkRouteKey(key, 'here'),
        {
          message: `here: route "${key}" must be "METHOD /route/template" (e.g. "GET /notes/:id") or "*"`,
        },
        key,
      );
  });
});

describe('route keys', () => {
  test('routeKey joins method and route with one space', () => {
    assert.equal(routeKey('GET', '/notes/:id'), 'GET /notes/:id');
  });

  test('openApiKey: lower-case method, every :param as {param}', () => {
    assert.equal(openApiKey('GET /notes/:id'), 'get /notes/{id}');
    assert.equal(openApiKey('PATCH /a/:item_id/b/:Z9/c'), 'patch /a/{item_id}/b/{Z9}/c');
    assert.equal(openApiKey('POST /notes'), 'post /notes');
  });
});
