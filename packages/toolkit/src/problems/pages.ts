/** `GET /problems` and `GET /problems/{slug}`: a readable page for every problem type. */
import type { FastifyInstance } from 'fastify';
import { HIDDEN_FROM_OPENAPI } from './hidden-route.ts';
import { ProblemError } from './problem-error.ts';
import type { ProblemRegistry, ProblemType } from './registry.ts';

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Inline `code` spans of the registry's descriptions, rendered safely. */
function render(text: string): string {
  return escapeHtml(text).replace(/`([^`]+)`/g, '<code>$1</code>');
}

function page(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:46rem;margin:2rem auto;padding:0 1rem}code{background:#f3f3f3;padding:0 .2em}table{border-collapse:collapse}td,th{border:1px solid #ddd;padding:.3rem .6rem;text-align:left}</style>
</head><body>${body}</body></html>`;
}

function typePage(type: ProblemType): string {
  return page(
    type.title,
    `<p><a href="/problems">All problem types</a></p><h1>${escapeHtml(type.title)}</h1>
<table><tr><th>type</th><td><code>/problems/${type.slug}</code></td></tr>
<tr><th>status</th><td>${type.status}</td></tr><tr><th>category</th><td>${type.category}</td></tr>
<tr><th>retryable</th><td>${type.retryable ? 'yes' : 'no'}</td></tr></table>
<p>${render(type.description)}</p>`,
  );
}

export function registerProblemPages(app: FastifyInstance, registry: ProblemRegistry): void {
  app.get('/problems', { schema: HIDDEN_FROM_OPENAPI }, async (_request, reply) => {
    const rows = registry
      .all()
      .map(
        (t) =>
          `<tr><td><a href="/problems/${t.slug}">${t.slug}</a></td><td>${t.status}</td><td>${t.category}</td><td>${t.retryable ? 'yes' : 'no'}</td><td>${escapeHtml(t.title)}</td></tr>`,
      )
      .join('\n');
    return reply
      .type('text/html; charset=utf-8')
      .send(
        page(
          'Problem types',
          `<h1>Problem types</h1><p>Every error is <code>application/problem+json</code> (RFC 9457) with one of these types.</p><table><tr><th>slug</th><th>status</th><th>category</th><th>retryable</th><th>title</th></tr>${rows}</table>`,
        ),
      );
  });
  app.get<{ Params: { slug: string } }>(
    '/problems/:slug',
    { schema: HIDDEN_FROM_OPENAPI },
    async (request, reply) => {
      const type = registry.get(request.params.slug);
      if (!type) throw new ProblemError('not-found', { detail: `No problem type ${request.params.slug}.` });
      return reply.type('text/html; charset=utf-8').send(typePage(type));
    },
  );
}
