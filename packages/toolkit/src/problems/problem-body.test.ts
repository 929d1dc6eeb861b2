/** The problem body, the error handlers throw, and Ajv errors as issues — each with literal expectations. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { FastifySchemaValidationError } from 'fastify/types/schema.js';
import { buildProblem, PROBLEM_CONTENT_TYPE, problemTypeUri } from './problem-body.ts';
import { isProblemError, ProblemError } from './problem-error.ts';
import { coreProblems, createProblemRegistry } from './registry.ts';
import { validationIssues } from './validation-issues.ts';

const registry = createProblemRegistry(coreProblems, [
  {
    slug: 'order-not-payable',
    status: 409,
    title: 'The order cannot be paid',
    category: 'conflict',
    retryable: false,
    description: 'd',
  },
]);

describe('buildProblem', () => {
  test('the registered type with the given detail, instance and requestId', () => {
    assert.equal(PROBLEM_CONTENT_TYPE, 'application/problem+json');
    assert.equal(problemTypeUri('not-found'), '/problems/not-found');
    assert.deepEqual(
      buildProblem(registry, {
        slug: 'order-not-payable',
        detail: 'It is cancelled.',
        instance: '/v1/orders/o_1/pay',
        requestId: 'r-1',
      }),
      {
        type: '/problems/order-not-payable',
        title: 'The order cannot be paid',
        status: 409,
        detail: 'It is cancelled.',
        instance: '/v1/orders/o_1/pay',
        category: 'conflict',
        retryable: false,
        requestId: 'r-1',
      },
    );
  });

  test('without a detail the title stands in; errors only when given', () => {
    const errors = [{ pointer: '/a', message: 'is required', in: 'body' as const }];
    const body = buildProblem(registry, {
      slug: 'validation-failed',
      instance: '/x',
      requestId: 'r',
      errors,
    });
    assert.equal(body.detail, 'The request is not valid');
    assert.deepEqual(body.errors, errors);
    const none = buildProblem(registry, { slug: 'not-found', instance: '/x', requestId: 'r' });
    assert.equal('errors' in none, false);
  });

  test('extensions are added, but never over a reserved member', () => {
    const body = buildProblem(registry, {
      slug: 'precondition-failed',
      instance: '/x',
      requestId: 'r-2',
      extensions: {
        currentEtag: '"v3"',
        type: 'x',
        title: 'x',
        status: 200,
        detail: 'x',
        instance: 'x',
        category: 'x',
        retryable: true,
        requestId: 'x',
      },
    });
    assert.deepEqual(body, {
      type: '/problems/precondition-failed',
      title: 'The resource has changed',
      status: 412,
      detail: 'The resource has changed',
      instance: '/x',
      category: 'precondition',
      retryable: false,
      requestId: 'r-2',
      currentEtag: '"v3"',
    });
  });

  test('an unregistered slug is answered as internal-error; a registry without internal-error is a bug', () => {
    const body = buildProblem(registry, { slug: 'nobody-registered-me', instance: '/x', requestId: 'r' });
    assert.equal(body.type, '/problems/internal-error');
    assert.equal(body.status, 500);
    assert.throws(() => buildProblem(createProblemRegistry(), { slug: 'x', instance: '/', requestId: 'r' }), {
      message: 'the registry has no internal-error type',
    });
  });
});

describe('ProblemError', () => {
  test('defaults: message is the slug, no detail, empty extensions and headers', () => {
    const plain = new ProblemError('not-found');
    assert.equal(plain.name, 'ProblemError');
    assert.equal(plain.message, 'not-found');
    assert.equal(plain.slug, 'not-found');
    assert.equal(plain.detail, undefined);
    assert.deepEqual(plain.extensions, {});
    assert.deepEqual(plain.headers, {});
    assert.equal(plain.errors, undefined);
    assert.equal(plain.cause, undefined);
    assert.ok(plain instanceof Error);
  });

  test('everything given is kept; isProblemError tells it from other errors', () => {
    const cause = new Error('db down');
    const errors = [{ pointer: '', message: 'm' }];
    const full = new ProblemError('database-unavailable', {
      detail: 'Try again.',
      extensions: { a: 1 },
      headers: { 'Retry-After': '2' },
      errors,
      cause,
    });
    assert.equal(full.message, 'Try again.');
    assert.equal(full.detail, 'Try again.');
    assert.deepEqual(full.extensions, { a: 1 });
    assert.deepEqual(full.headers, { 'Retry-After': '2' });
    assert.equal(full.errors, errors);
    assert.equal(full.cause, cause);
    assert.equal(isProblemError(full), true);
    assert.equal(isProblemError(new Error('x')), false);
    assert.equal(isProblemError({ slug: 'not-found' }), false);
  });
});

const ajvError = (e: Partial<FastifySchemaValidationError>) =>
  ({ keyword: 'type', instancePath: '', schemaPath: '#', params: {}, ...e }) as FastifySchemaValidationError;

describe('validationIssues', () => {
  test('required and unknown fields point at the member (escaped); enum lists its values', () => {
    const issues = validationIssues(
      [
        ajvError({ keyword: 'required', instancePath: '/items/0', params: { missingProperty: 'sku' } }),
        ajvError({ keyword: 'additionalProperties', params: { additionalProperty: 'a/b~c' } }),
        ajvError({ keyword: 'enum', instancePath: '/currency', params: { allowedValues: ['EUR', 'USD'] } }),
        ajvError({ keyword: 'type', instancePath: '/quantity', message: 'must be integer' }),
        ajvError({ keyword: 'format', instancePath: '/at' }),
      ],
      'body',
    );
    assert.deepEqual(issues, [
      { pointer: '/items/0/sku', message: 'is required', in: 'body' },
      { pointer: '/a~1b~0c', message: 'is not a known field', in: 'body' },
      { pointer: '/currency', message: 'must be one of EUR, USD', in: 'body' },
      { pointer: '/quantity', message: 'must be integer', in: 'body' },
      { pointer: '/at', message: 'is invalid', in: 'body' },
    ]);
  });

  test('keywords without the parameter they need keep Ajv’s pointer and message', () => {
    assert.deepEqual(
      validationIssues(
        [
          ajvError({ keyword: 'required', instancePath: '/p', message: 'm1', params: {} }),
          ajvError({ keyword: 'additionalProperties', instancePath: '/q', message: 'm2' }),
          ajvError({ keyword: 'enum', instancePath: '/r', message: 'm3', params: { allowedValues: 'A' } }),
          ajvError({ keyword: 'type', instancePath: undefined as unknown as string, message: 'm4' }),
        ],
        'body',
      ),
      [
        { pointer: '/p', message: 'm1', in: 'body' },
        { pointer: '/q', message: 'm2', in: 'body' },
        { pointer: '/r', message: 'm3', in: 'body' },
        { pointer: '', message: 'm4', in: 'body' },
      ],
    );
  });

  test('the part: query, path, header, body; unknown or missing context is body', () => {
    const one = [ajvError({ instancePath: '/x', message: 'm' })];
    assert.equal(validationIssues(one, 'querystring')[0].in, 'query');
    assert.equal(validationIssues(one, 'params')[0].in, 'path');
    assert.equal(validationIssues(one, 'headers')[0].in, 'header');
    assert.equal(validationIssues(one, 'body')[0].in, 'body');
    assert.equal(validationIssues(one, undefined)[0].in, 'body');
    assert.equal(validationIssues(one, 'cookies')[0].in, 'body');
  });

  test('the same pointer and message once; at most 50 issues', () => {
    const same = ajvError({ instancePath: '/x', message: 'm' });
    assert.equal(
      validationIssues([same, same, ajvError({ instancePath: '/x', message: 'n' })], 'body').length,
      2,
    );
    const many = Array.from({ length: 80 }, (_, i) => ajvError({ instancePath: `/f${i}`, message: 'm' }));
    const issues = validationIssues(many, 'body');
    assert.equal(issues.length, 50);
    assert.equal(issues[49].pointer, '/f49');
  });
});
