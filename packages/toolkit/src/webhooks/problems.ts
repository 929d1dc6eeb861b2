/** Problem types of webhook intake. */
import type { ProblemType } from '../problems/index.ts';

export const webhookProblems: ProblemType[] = [
  {
    slug: 'webhook-signature-invalid',
    status: 401,
    title: 'The webhook signature is not valid',
    category: 'unauthorized',
    retryable: false,
    description:
      'The `webhook-id`, `webhook-timestamp` and `webhook-signature` headers (Standard Webhooks) are missing, or no configured secret produces the signature. Nothing was stored.',
  },
  {
    slug: 'webhook-timestamp-out-of-tolerance',
    status: 401,
    title: 'The webhook timestamp is too old or too new',
    category: 'unauthorized',
    retryable: false,
    description:
      'The `webhook-timestamp` is more than the tolerance (5 minutes by default) away from our clock — a replayed capture, or a sender with a wrong clock. Nothing was stored.',
  },
  {
    slug: 'webhook-payload-invalid',
    status: 400,
    title: 'The webhook body is not valid JSON',
    category: 'validation',
    retryable: false,
    description:
      'The signature is valid but the body cannot be used: it is not UTF-8, not JSON, nests deeper than the limit (32 levels), or has a string or member name with U+0000 or a lone surrogate. The raw bytes are kept in the inbox (status `failed`, with the reason) for inspection and replay; sending the same body again does not help.',
  },
  {
    slug: 'webhook-id-invalid',
    status: 400,
    title: 'The webhook-id header is not usable',
    category: 'validation',
    retryable: false,
    description:
      'The signature is valid but `webhook-id` is longer than 255 characters or has characters other than visible ASCII, so the delivery cannot be deduplicated. Nothing was stored; do not resend it unchanged.',
  },
];
