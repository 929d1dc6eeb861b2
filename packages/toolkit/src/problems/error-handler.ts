/**
 * Fastify plugin: every error a client can see becomes application/problem+json
 * from the registry — schema validation, unknown routes (404), wrong methods
 * (405 + Allow), body limits (413), content types (415), broken JSON (400) and
 * unexpected exceptions (500, details only in the log).
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { buildProblem, PROBLEM_CONTENT_TYPE } from './problem-body.ts';
import { ProblemError, type ValidationIssue } from './problem-error.ts';
import type { ProblemRegistry } from './registry.ts';
import { validationIssues } from './validation-issues.ts';

export interface ProblemsPluginOptions {
  registry: ProblemRegistry;
  /** turn a domain or infrastructure error into a problem (e.g. database down → 503) */
  mapError?: (error: unknown) => ProblemError | undefined;
  /** longest request target (path + query) accepted; longer → 414 `uri-too-long` (default 8192) */
  maxUrlBytes?: number;
}

const FASTIFY_DETAILS: Record<string, (request: FastifyRequest) => string> = {
  'payload-too-large': () => 'The request body exceeds the size limit.',
  'unsupported-media-type': (request) =>
    `Content-Type ${JSON.stringify(request.headers['content-type'] ?? '')} is not accepted; send application/json.`,
};

const FASTIFY_CODES: Record<string, string> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'payload-too-large',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported-media-type',
  FST_ERR_CTP_INVALID_TYPE: 'unsupported-media-type',
  FST_ERR_CTP_EMPTY_TYPE: 'unsupported-media-type',
  FST_ERR_CTP_INVALID_JSON_BODY: 'malformed-json',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'malformed-json',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'bad-request',
};

export function sendProblem(
  registry: ProblemRegistry,
  request: FastifyRequest,
  reply: FastifyReply,
  problem: ProblemError,
): FastifyReply {
  const known = registry.get(problem.slug) !== undefined;
  // a slug nobody registered is a bug: answer 500 without the developer's detail, and say so in the log
  if (!known)
    request.log.error({ slug: problem.slug, detail: problem.detail }, 'problem type is not registered');
  const body = buildProblem(registry, {
    slug: problem.slug,
    detail: known ? problem.detail : undefined,
    instance: request.url.split('?')[0],
    requestId: String(request.id),
    errors: problem.errors,
    extensions: problem.extensions,
  });
  reply.code(body.status).headers(problem.headers).type(PROBLEM_CONTENT_TYPE);
  // the header equals the body's requestId even when no other hook ran yet (router errors, the URL limit)
  if (!reply.hasHeader('X-Request-Id')) reply.header('X-Request-Id', body.requestId);
  if (body.status === 401) reply.header('WWW-Authenticate', 'Bearer');
  if (body.retryable && !reply.hasHeader('Retry-After')) reply.header('Retry-After', '1');
  return reply.send(JSON.stringify(body));
}

function toProblem(error: FastifyError, request: FastifyRequest, options: ProblemsPluginOptions) {
  if (error instanceof ProblemError) return error;
  if (error.validation) {
    const issues: ValidationIssue[] = validationIssues(error.validation, error.validationContext);
    return new ProblemError('validation-failed', {
      detail: issues.map((i) => `${i.in ?? 'body'} ${i.pointer || '/'}: ${i.message}`).join('; '),
      errors: issues,
    });
  }
  const mapped = options.mapError?.(error);
  if (mapped) return mapped;
  const slug = error.code ? FASTIFY_CODES[error.code] : undefined;
  if (slug) return new ProblemError(slug, { detail: FASTIFY_DETAILS[slug]?.(request) ?? error.message });
  if (error.statusCode && error.statusCode >= 400 && error.statusCode < 500) {
    request.log.info({ err: error }, 'client error without a problem type');
    return new ProblemError('bad-request', { detail: error.message });
  }
  request.log.error({ err: error }, 'unhandled error');
  return new ProblemError('internal-error', {
    detail: `An unexpected error occurred (request ${request.id}).`,
  });
}

function routePattern(url: string): RegExp {
  const source = url
    .split('/')
    .map((part) =>
      part.startsWith(':') ? '[^/]+' : part === '*' ? '.*' : part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'),
    )
    .join('/');
  return new RegExp(`^${source}/?$`);
}

async function problemsPlugin(app: FastifyInstance, options: ProblemsPluginOptions) {
  const routes: { pattern: RegExp; methods: Set<string> }[] = [];
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    const pattern = routePattern(route.url);
    const existing = routes.find((r) => r.pattern.source === pattern.source);
    if (existing) for (const m of methods) existing.methods.add(m);
    else routes.push({ pattern, methods: new Set(methods) });
  });

  const maxUrlBytes = options.maxUrlBytes ?? 8192;
  // callback style: no promise per request on the hot path
  app.addHook('onRequest', (request, _reply, done) => {
    // Node's parser only bounds the URL by maxHeaderSize: enforce our own limit before any other hook
    if (request.raw.url !== undefined && request.raw.url.length > maxUrlBytes) {
      done(
        new ProblemError('uri-too-long', {
          detail: `The request target is longer than ${maxUrlBytes} bytes.`,
        }),
      );
      return;
    }
    // Node answers this itself unless the server has `requireHostHeader: false`; then it is a problem too
    if (request.raw.httpVersion === '1.1' && request.headers.host === undefined) {
      done(new ProblemError('bad-request', { detail: 'An HTTP/1.1 request must send a Host header.' }));
      return;
    }
    done();
  });

  app.setErrorHandler((error: FastifyError, request, reply) =>
    sendProblem(options.registry, request, reply, toProblem(error, request, options)),
  );

  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0];
    const allowed = new Set<string>();
    for (const r of routes) if (r.pattern.test(path)) for (const m of r.methods) allowed.add(m);
    if (allowed.size > 0 && !allowed.has(request.method)) {
      const allow = [...allowed].sort().join(', ');
      return sendProblem(
        options.registry,
        request,
        reply,
        new ProblemError('method-not-allowed', {
          detail: `${request.method} is not supported on ${path}; use ${allow}.`,
          headers: { Allow: allow },
        }),
      );
    }
    return sendProblem(
      options.registry,
      request,
      reply,
      new ProblemError('not-found', { detail: `No route ${request.method} ${path}.` }),
    );
  });
}

export const problems = fp(problemsPlugin, { name: 'steadfast-problems', fastify: '5.x' });
