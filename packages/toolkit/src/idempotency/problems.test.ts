/** The idempotency problem types, written out: what a client reads in each (and whether to retry). */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { idempotencyProblems } from './problems.ts';

describe('idempotencyProblems', () => {
  test('slug, status, title, category and retryable of each type', () => {
    assert.deepEqual(
      idempotencyProblems.map(({ slug, status, title, category, retryable }) => ({
        slug,
        status,
        title,
        category,
        retryable,
      })),
      [
        {
          slug: 'idempotency-key-missing',
          status: 400,
          title: 'Idempotency-Key is required',
          category: 'idempotency',
          retryable: false,
        },
        {
          slug: 'idempotency-key-invalid',
          status: 400,
          title: 'Idempotency-Key is malformed',
          category: 'idempotency',
          retryable: false,
        },
        {
          slug: 'idempotency-key-reused',
          status: 422,
          title: 'Idempotency-Key reused with a different request',
          category: 'idempotency',
          retryable: false,
        },
        {
          slug: 'idempotency-request-in-flight',
          status: 409,
          title: 'The first request with this key is still running',
          category: 'idempotency',
          retryable: true,
        },
      ],
    );
  });

  test('each type’s description, for its docs page', () => {
    assert.deepEqual(Object.fromEntries(idempotencyProblems.map((p) => [p.slug, p.description])), {
      'idempotency-key-missing':
        'This request needs `Idempotency-Key`: a unique value per intended operation (a UUID is ideal), reused unchanged when you retry that operation. Nothing was done.',
      'idempotency-key-invalid':
        'The key must be 1–255 visible ASCII characters, sent bare (`Idempotency-Key: 4f1c…`) or as a structured-field string (`Idempotency-Key: "4f1c…"`). Nothing was done.',
      'idempotency-key-reused':
        'This key was first used with a different body or path. A key names one operation: use a new key for a new request. Nothing was done. (Key order and whitespace in JSON do not matter.)',
      'idempotency-request-in-flight':
        'Another request with the same key is being processed. Retry after `Retry-After` with the same key and body: you will get its stored answer.',
    });
    assert.deepEqual(
      idempotencyProblems.map((p) => Object.keys(p).sort()),
      Array(4).fill(['category', 'description', 'retryable', 'slug', 'status', 'title']),
      'no other field',
    );
  });
});
