/**
 * `/` (the JSON index of links) and `/docs` (the interactive API reference):
 * no API key needed, hidden from the OpenAPI document, and the page's every
 * asset is served by the app itself, so it loads with no request to another
 * host. Unknown paths under /docs/ are still problem+json 404s.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { INDEX_LINKS } from './routes/api-reference.ts';
import { renderBanner } from './runtime/banner.ts';
import { buildTestApp, type TestApp } from './testing.ts';

let app: TestApp;
before(async () => {
  app = await buildTestApp();
});
after(() => app.close());

const ORIGIN = 'http://localhost';

/** every `<script src>`, `<link href>` and CSS `url(...)` of a text */
function assetRefs(text: string): string[] {
  const refs: string[] = [];
  for (const m of text.matchAll(/<script\b[^>]*\bsrc\s*=\s*["']([^"']+)["']/gi)) refs.push(m[1]);
  for (const m of text.matchAll(/<link\b[^>]*\bhref\s*=\s*["']([^"']+)["']/gi)) refs.push(m[1]);
  for (const m of text.matchAll(/url\(\s*(["']?)([^"')]+)\1\s*\)/gi)) refs.push(m[2]);
  return refs;
}

/** the same-origin path of a reference, or a failure naming it */
function sameOriginPath(ref: string, base: string): string {
  assert.doesNotMatch(ref, /^(https?:)?\/\//i, `${ref} points at another host`);
  const url = new URL(ref, `${ORIGIN}${base}`);
  assert.equal(url.origin, ORIGIN, `${ref} leaves the origin`);
  return url.pathname + url.search;
}

function expectedType(path: string): RegExp {
  if (path.endsWith('.js')) return /^(application|text)\/javascript/;
  if (path.endsWith('.css')) return /^text\/css/;
  if (path.endsWith('.png')) return /^image\/png/;
  if (path.endsWith('.svg')) return /^image\/svg\+xml/;
  return /./;
}

describe('GET /', () => {
  test('answers the JSON index without an API key', async () => {
    const response = await app.inject({ method: 'GET', url: '/', apiKey: null });
    assert.equal(response.statusCode, 200);
    assert.match(String(response.headers['content-type']), /^application\/json/);
    const spec = (await app.inject({ method: 'GET', url: '/openapi.json', apiKey: null })).json();
    assert.deepEqual(response.json(), {
      name: spec.info.title,
      version: spec.info.version,
      links: {
        api: '/v1/orders',
        docs: '/docs',
        openapi: '/openapi.json',
        problems: '/problems',
        health: '/healthz',
        ready: '/readyz',
        metrics: '/metrics',
      },
    });
  });

  test('every link works: 200 without a key, except the API, which asks for one', async () => {
    const { links } = (await app.inject({ method: 'GET', url: '/', apiKey: null })).json();
    for (const [name, path] of Object.entries(links as Record<string, string>)) {
      assert.match(path, /^\/[^/]/, `${name} is an absolute path`);
      const anonymous = await app.inject({ method: 'GET', url: path, apiKey: null });
      assert.ok(anonymous.statusCode < 500, `${name} ${path}: ${anonymous.statusCode}`);
      assert.equal(anonymous.statusCode, name === 'api' ? 401 : 200, `${name} ${path}`);
    }
    const withKey = await app.inject({ method: 'GET', url: links.api });
    assert.equal(withKey.statusCode, 200);
  });

  test('/ and /docs stay out of the OpenAPI document', async () => {
    const spec = (await app.inject({ method: 'GET', url: '/openapi.json', apiKey: null })).json();
    const paths = Object.keys(spec.paths ?? {});
    assert.ok(paths.length > 0);
    assert.ok(!paths.includes('/'), 'GET / is documented');
    assert.deepEqual(
      paths.filter((p) => p === INDEX_LINKS.docs || p.startsWith(`${INDEX_LINKS.docs}/`)),
      [],
    );
  });

  test('a list parameter with a default is optional in the document', async () => {
    const spec = (await app.inject({ method: 'GET', url: '/openapi.json', apiKey: null })).json();
    const limits = Object.values<Record<string, { parameters?: { name: string; required?: boolean }[] }>>(
      spec.paths,
    ).flatMap((item) =>
      Object.values(item).flatMap((op) => (op.parameters ?? []).filter((p) => p.name === 'limit')),
    );
    assert.equal(limits.length, 5, 'orders, operations, dead letters, webhook events and API keys are paged');
    assert.deepEqual(
      limits.map((p) => p.required ?? false),
      [false, false, false, false, false],
    );
  });
});

describe('GET /docs', () => {
  for (const page of ['/docs', '/docs/']) {
    test(`${page}: HTML whose every asset is same-origin and served by the app`, async () => {
      const response = await app.inject({ method: 'GET', url: page, apiKey: null });
      assert.equal(response.statusCode, 200);
      assert.match(String(response.headers['content-type']), /^text\/html/);
      const refs = assetRefs(response.body);
      assert.ok(refs.some((r) => r.endsWith('.js')) && refs.some((r) => r.endsWith('.css')), response.body);
      const seen = new Set<string>();
      const queue = refs.map((ref) => ({ ref, base: page }));
      while (queue.length > 0) {
        const { ref, base } = queue.shift() as { ref: string; base: string };
        if (ref.startsWith('data:')) continue;
        const path = sameOriginPath(ref, base);
        if (seen.has(path)) continue;
        seen.add(path);
        const asset = await app.inject({ method: 'GET', url: path, apiKey: null });
        assert.equal(asset.statusCode, 200, `${path}: ${asset.statusCode}`);
        assert.match(String(asset.headers['content-type']), expectedType(path), path);
        // a stylesheet's own url(...)s (fonts, images) must stay on this origin too
        if (path.endsWith('.css'))
          for (const inner of assetRefs(asset.body)) queue.push({ ref: inner, base: path });
      }
    });
  }

  test('the page renders the OpenAPI document the app serves, with no validator badge', async () => {
    const html = (await app.inject({ method: 'GET', url: '/docs', apiKey: null })).body;
    const initializer = assetRefs(html).find((r) => r.endsWith('swagger-initializer.js'));
    assert.ok(initializer, 'the page loads swagger-initializer.js');
    const script = (
      await app.inject({ method: 'GET', url: sameOriginPath(initializer, '/docs'), apiKey: null })
    ).body;
    assert.match(script, /url: resolveUrl\('\.\/json'\)/);
    // Swagger UI's default validator would send the document's URL to validator.swagger.io
    assert.match(script, /validatorUrl":\s*null|validatorUrl:\s*null/);
    const served = await app.inject({ method: 'GET', url: '/docs/json', apiKey: null });
    assert.equal(served.statusCode, 200);
    const openapi = await app.inject({ method: 'GET', url: '/openapi.json', apiKey: null });
    assert.deepEqual(served.json(), openapi.json());
  });

  test('unknown paths under /docs/ are problem+json 404s', async () => {
    for (const url of ['/docs/nope', '/docs/static/nope.js', '/docs/static/theme/x.css', '/docs/a/b/c']) {
      const response = await app.inject({ method: 'GET', url, apiKey: null });
      assert.equal(response.statusCode, 404, url);
      assert.match(String(response.headers['content-type']), /^application\/problem\+json/, url);
      assert.equal(response.json().type, '/problems/not-found', url);
    }
  });
});

describe('the banner', () => {
  test('names the API reference beside the OpenAPI document', () => {
    const text = renderBanner({
      apiUrl: 'http://127.0.0.1:3000',
      demoApiKey: 'sf_demo_key',
      demoOperatorKey: 'sf_demo_operator_key',
      dataDir: '/tmp/home',
      database: 'embedded',
    });
    const lines = text.split('\n');
    assert.ok(
      lines.some((l) => /Tenant key +sf_demo_key/.test(l)) &&
        lines.some((l) => /Operator key +sf_demo_operator_key/.test(l)),
    );
    const openapi = lines.findIndex((l) => l.includes('http://127.0.0.1:3000/openapi.json'));
    assert.ok(openapi >= 0);
    assert.match(lines[openapi + 1], /http:\/\/127\.0\.0\.1:3000\/docs$/);
  });
});
