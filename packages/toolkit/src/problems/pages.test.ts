/** The problem pages: what each shows, escaped, and that they stay out of the OpenAPI document. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import { problems } from './error-handler.ts';
import { HIDDEN_FROM_OPENAPI } from './hidden-route.ts';
import { registerProblemPages } from './pages.ts';
import { coreProblems, createProblemRegistry } from './registry.ts';

const registry = createProblemRegistry(coreProblems, [
  {
    slug: 'tricky',
    status: 409,
    title: 'Fish & <chips>',
    category: 'conflict',
    retryable: true,
    description: `Send \`If-Match: "v1"\` or 'x' <b>not</b> & more; \`a<b\` twice \`c\`.`,
  },
]);

let app: FastifyInstance;
const routes: { method: unknown; url: string; schema: unknown }[] = [];
before(async () => {
  app = Fastify();
  app.addHook('onRoute', (route) => {
    routes.push({ method: route.method, url: route.url, schema: route.schema });
  });
  await app.register(problems, { registry });
  registerProblemPages(app, registry);
});
after(() => app.close());

describe('problem pages', () => {
  test('a type page: title, the table with type, status, category and retryable, and the description', async () => {
    const page = await app.inject({ method: 'GET', url: '/problems/tricky' });
    assert.equal(page.statusCode, 200);
    assert.equal(page.headers['content-type'], 'text/html; charset=utf-8');
    assert.ok(page.body.startsWith('<!doctype html><html lang="en"><head><meta charset="utf-8">'));
    assert.ok(page.body.includes('<title>Fish &#38; &#60;chips&#62;</title>'));
    assert.ok(page.body.includes('<h1>Fish &#38; &#60;chips&#62;</h1>'));
    assert.ok(page.body.includes('<a href="/problems">All problem types</a>'));
    assert.ok(page.body.includes('<th>type</th><td><code>/problems/tricky</code></td>'));
    assert.ok(page.body.includes('<th>status</th><td>409</td>'));
    assert.ok(page.body.includes('<th>category</th><td>conflict</td>'));
    assert.ok(page.body.includes('<th>retryable</th><td>yes</td>'));
    assert.ok(
      page.body.includes(
        '<p>Send <code>If-Match: &#34;v1&#34;</code> or &#39;x&#39; &#60;b&#62;not&#60;/b&#62; &#38; more; <code>a&#60;b</code> twice <code>c</code>.</p>',
      ),
      page.body,
    );
    assert.ok(!page.body.includes('<b>'), 'no markup from a description gets through');
    const notRetryable = await app.inject({ method: 'GET', url: '/problems/not-found' });
    assert.ok(notRetryable.body.includes('<th>retryable</th><td>no</td>'));
  });

  test('the index lists every type with its status, category, retryable and escaped title', async () => {
    const index = await app.inject({ method: 'GET', url: '/problems' });
    assert.equal(index.statusCode, 200);
    assert.equal(index.headers['content-type'], 'text/html; charset=utf-8');
    assert.ok(index.body.includes('<title>Problem types</title>'));
    assert.ok(
      index.body.includes(
        '<tr><td><a href="/problems/tricky">tricky</a></td><td>409</td><td>conflict</td><td>yes</td><td>Fish &#38; &#60;chips&#62;</td></tr>',
      ),
    );
    assert.ok(
      index.body.includes(
        '<tr><td><a href="/problems/not-found">not-found</a></td><td>404</td><td>not-found</td><td>no</td><td>Not found</td></tr>',
      ),
    );
    assert.equal(index.body.match(/<tr><td>/g)?.length, 18, 'the 17 core types and tricky');
  });

  test('an unknown slug is a 404 not-found problem that names it', async () => {
    const missing = await app.inject({ method: 'GET', url: '/problems/nope' });
    assert.equal(missing.statusCode, 404);
    assert.equal(missing.json().type, '/problems/not-found');
    assert.equal(missing.json().detail, 'No problem type nope.');
  });

  test('both routes are hidden from the OpenAPI document', () => {
    assert.equal((HIDDEN_FROM_OPENAPI as { hide?: boolean }).hide, true);
    const pages = routes.filter((r) => r.url.startsWith('/problems') && r.method === 'GET');
    assert.deepEqual(
      pages.map((r) => r.url),
      ['/problems', '/problems/:slug'],
    );
    for (const r of pages) assert.equal((r.schema as { hide?: boolean }).hide, true, r.url);
  });
});
