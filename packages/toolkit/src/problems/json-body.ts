/**
 * Fastify plugin: JSON bodies only. `application/json` and
 * `application/merge-patch+json` are parsed (with prototype-poisoning
 * protection); an empty body counts as no body, so bodyless action POSTs work
 * with or without a content type. Every other content type is answered 415.
 */
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { ProblemError } from './problem-error.ts';

async function jsonBodyPlugin(app: FastifyInstance) {
  const parse = app.getDefaultJsonParser('error', 'error');
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(
    ['application/json', 'application/merge-patch+json'],
    { parseAs: 'string' },
    (request, body, done) => {
      const text = typeof body === 'string' ? body : body.toString('utf8');
      if (text.trim() === '') return done(null, undefined);
      parse(request, text, (error, value) => {
        if (error)
          done(
            new ProblemError('malformed-json', { detail: `The body is not valid JSON: ${error.message}` }),
          );
        else done(null, value);
      });
    },
  );
}

export const jsonBody = fp(jsonBodyPlugin, { name: 'steadfast-json-body', fastify: '5.x' });
