/**
 * Fastify plugin: JSON bodies only. `application/json` and
 * `application/merge-patch+json` are parsed (with prototype-poisoning
 * protection); an empty body counts as no body, so bodyless action POSTs work
 * with or without a content type. Every other content type is answered 415.
 * A parsed body must follow the JSON rules (json-rules.ts): nesting at most
 * `maxDepth` levels, strings and member names well-formed Unicode without
 * U+0000 — else 400 `validation-failed` with a pointer to each offender, before
 * any hook (idempotency fingerprint), handler or write sees the body.
 */
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { DEFAULT_JSON_MAX_DEPTH, jsonRuleIssues } from './json-rules.ts';
import { ProblemError } from './problem-error.ts';

export interface JsonBodyOptions {
  /** levels of nesting a body may have: `{}` is 1, `{"a":[]}` is 2 (default 32) */
  maxDepth?: number;
}

async function jsonBodyPlugin(app: FastifyInstance, options: JsonBodyOptions) {
  const maxDepth = options.maxDepth ?? DEFAULT_JSON_MAX_DEPTH;
  const parse = app.getDefaultJsonParser('error', 'error');
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(
    ['application/json', 'application/merge-patch+json'],
    { parseAs: 'string' },
    (request, body, done) => {
      const text = String(body); // parseAs: 'string' hands a string
      if (text.trim() === '') return done(null, undefined);
      parse(request, text, (error, value) => {
        if (error) {
          done(
            new ProblemError('malformed-json', { detail: `The body is not valid JSON: ${error.message}` }),
          );
          return;
        }
        const issues = jsonRuleIssues(value, { maxDepth });
        if (issues.length === 0) return done(null, value);
        done(
          new ProblemError('validation-failed', {
            detail: issues.map((i) => `body ${i.pointer || '/'}: ${i.message}`).join('; '),
            errors: issues,
          }),
        );
      });
    },
  );
}

export const jsonBody = fp(jsonBodyPlugin, { name: 'steadfast-json-body', fastify: '5.x' });
