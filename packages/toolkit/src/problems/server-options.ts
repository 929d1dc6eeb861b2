/**
 * `Fastify({ ...problemServerOptions({ registry }) })`: the errors that happen
 * before a route runs are problems from the registry too — Node's HTTP parser
 * (`clientErrorHandler`: header too large 431, request timeout 408, bad method,
 * header characters, Content-Length or Transfer-Encoding 400) and Fastify's
 * router (`frameworkErrors`: malformed percent-encoding 400, a path parameter
 * over `maxParamLength` 414). The parser's errors have no request yet: the
 * answer is written to the raw socket with a fresh request id and the
 * connection is closed.
 */
import { randomBytes } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { sendProblem } from './error-handler.ts';
import { buildProblem, PROBLEM_CONTENT_TYPE } from './problem-body.ts';
import { ProblemError } from './problem-error.ts';
import type { ProblemRegistry } from './registry.ts';

export interface ProblemServerOptionsInput {
  registry: ProblemRegistry;
  /** ids for answers that have no request yet (default `req_` + 12 random bytes, base64url) */
  newRequestId?: () => string;
}

interface ClientError extends Error {
  code?: string;
  reason?: string;
}

/** Node's parser error codes (llhttp) → a problem slug and a detail without the client's bytes. */
function parserProblem(error: ClientError): { slug: string; detail: string } {
  switch (error.code) {
    case 'HPE_HEADER_OVERFLOW':
      return { slug: 'header-too-large', detail: 'The request line and headers exceed the size limit.' };
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return { slug: 'request-timeout', detail: 'The request was not received in time.' };
    case 'HPE_INVALID_METHOD':
      return { slug: 'bad-request', detail: 'The request method is not a valid HTTP method.' };
    case 'HPE_INVALID_URL':
      return { slug: 'bad-request', detail: 'The request target is not a valid URL.' };
    case 'HPE_INVALID_HEADER_TOKEN':
      return { slug: 'bad-request', detail: 'A header name or value has characters HTTP does not allow.' };
    case 'HPE_INVALID_CONTENT_LENGTH':
    case 'HPE_UNEXPECTED_CONTENT_LENGTH':
      return {
        slug: 'bad-request',
        detail: 'Content-Length is invalid, repeated with different values, or sent with Transfer-Encoding.',
      };
    case 'HPE_INVALID_TRANSFER_ENCODING':
    case 'HPE_INVALID_CHUNK_SIZE':
      return { slug: 'bad-request', detail: 'The Transfer-Encoding or the chunked body is invalid.' };
    default:
      return {
        slug: 'bad-request',
        detail: `The request is not valid HTTP/1.1${typeof error.code === 'string' && /^[A-Z_]{1,40}$/.test(error.code) ? ` (${error.code})` : ''}.`,
      };
  }
}

/** The full HTTP/1.1 response for a parser error: problem+json, a request id, `Connection: close`. */
export function rawProblemResponse(registry: ProblemRegistry, error: ClientError, requestId: string): string {
  const { slug, detail } = parserProblem(error);
  // no request was parsed: there is no path to name, so `instance` is empty
  const problem = buildProblem(registry, { slug, detail, instance: '', requestId });
  const body = JSON.stringify(problem);
  const headers = [
    `HTTP/1.1 ${problem.status} ${STATUS_CODES[problem.status] ?? 'Error'}`,
    `Content-Type: ${PROBLEM_CONTENT_TYPE}; charset=utf-8`,
    `Content-Length: ${Buffer.byteLength(body)}`,
    `X-Request-Id: ${requestId}`,
    'Connection: close',
  ];
  return `${headers.join('\r\n')}\r\n\r\n${body}`;
}

function frameworkProblem(error: FastifyError): ProblemError {
  switch (error.code) {
    case 'FST_ERR_BAD_URL':
      return new ProblemError('bad-request', {
        detail: 'The path is not a valid URL: it has malformed percent-encoding.',
      });
    case 'FST_ERR_MAX_PARAM_LENGTH':
      return new ProblemError('uri-too-long', { detail: 'A path segment is longer than the limit.' });
    case 'FST_ERR_ASYNC_CONSTRAINT':
      return new ProblemError('internal-error', { detail: 'An unexpected error occurred.' });
    default:
      return new ProblemError('bad-request', { detail: 'The request could not be routed.' });
  }
}

export function problemServerOptions(input: ProblemServerOptionsInput) {
  const { registry } = input;
  const newRequestId = input.newRequestId ?? (() => `req_${randomBytes(12).toString('base64url')}`);
  return {
    clientErrorHandler(this: FastifyInstance, error: ClientError, socket: Socket): void {
      // a reset connection, or one already gone: nobody to answer
      if (error.code === 'ECONNRESET' || socket.destroyed) return;
      const requestId = newRequestId();
      this.log.info({ requestId, code: error.code }, 'client error before routing');
      if (!socket.writable) {
        socket.destroy();
        return;
      }
      socket.end(rawProblemResponse(registry, error, requestId), () => socket.destroy());
    },
    frameworkErrors(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
      const problem = frameworkProblem(error);
      if (problem.slug === 'internal-error') request.log.error({ err: error }, 'router error');
      else request.log.info({ code: error.code }, 'client error in routing');
      sendProblem(registry, request, reply, problem);
    },
  };
}
