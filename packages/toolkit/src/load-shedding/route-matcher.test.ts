/** The route matcher: static beats parameter beats wildcard, exact methods, HEAD falls back to GET. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createRouteMatcher } from './route-matcher.ts';

test('templates match as Fastify routes them', () => {
  const routes = createRouteMatcher<string>();
  routes.add('GET', '/', 'root');
  routes.add('GET', '/v1/orders', 'list');
  routes.add('POST', '/v1/orders', 'create');
  routes.add('GET', '/v1/orders/:id', 'read');
  routes.add('POST', '/v1/orders/:id/pay', 'pay');
  routes.add('GET', '/v1/orders/export', 'export');
  routes.add('GET', '/docs/*', 'docs');
  routes.add('GET', '/docs', 'docs-root');
  routes.add('GET', '/n/:id(^\\d+)', 'numeric');
  const cases: [string, string, string | undefined][] = [
    ['GET', '/', 'root'],
    ['GET', '/v1/orders', 'list'],
    ['POST', '/v1/orders', 'create'],
    ['DELETE', '/v1/orders', undefined],
    ['GET', '/v1/orders/ord_1', 'read'],
    ['GET', '/v1/orders/export', 'export'],
    ['POST', '/v1/orders/ord_1/pay', 'pay'],
    ['POST', '/v1/orders/export/pay', 'pay'], // the static branch has no pay: back to the parameter
    ['GET', '/v1/orders/', undefined], // an empty segment is no parameter
    ['GET', '/v1/orders/ord_1/pay', undefined],
    ['GET', '/docs', 'docs-root'],
    ['GET', '/docs/static/index.css', 'docs'],
    ['GET', '/V1/orders', undefined], // case-sensitive
    ['GET', '/n/12', 'numeric'],
    ['HEAD', '/v1/orders/ord_1', 'read'],
    ['GET', '/nowhere', undefined],
  ];
  for (const [method, path, expected] of cases)
    assert.equal(routes.find(method, path), expected, `${method} ${path}`);
  routes.add('HEAD', '/v1/orders/:id', 'head');
  assert.equal(routes.find('HEAD', '/v1/orders/ord_1'), 'head');
});
