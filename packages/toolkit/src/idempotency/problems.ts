/** Problem types of the idempotency toolkit (add them to your registry). */
import type { ProblemType } from '../problems/index.ts';

export const idempotencyProblems: ProblemType[] = [
  {
    slug: 'idempotency-key-missing',
    status: 400,
    title: 'Idempotency-Key is required',
    category: 'idempotency',
    retryable: false,
    description:
      'This request needs `Idempotency-Key`: a unique value per intended operation (a UUID is ideal), reused unchanged when you retry that operation. Nothing was done.',
  },
  {
    slug: 'idempotency-key-invalid',
    status: 400,
    title: 'Idempotency-Key is malformed',
    category: 'idempotency',
    retryable: false,
    description:
      'The key must be 1–255 visible ASCII characters, sent bare (`Idempotency-Key: 4f1c…`) or as a structured-field string (`Idempotency-Key: "4f1c…"`). Nothing was done.',
  },
  {
    slug: 'idempotency-key-reused',
    status: 422,
    title: 'Idempotency-Key reused with a different request',
    category: 'idempotency',
    retryable: false,
    description:
      'This key was first used with a different body or path. A key names one operation: use a new key for a new request. Nothing was done. (Key order and whitespace in JSON do not matter.)',
  },
  {
    slug: 'idempotency-request-in-flight',
    status: 409,
    title: 'The first request with this key is still running',
    category: 'idempotency',
    retryable: true,
    description:
      'Another request with the same key is being processed. Retry after `Retry-After` with the same key and body: you will get its stored answer.',
  },
];
