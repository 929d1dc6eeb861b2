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
      'The signature is valid but the body cannot be parsed. The raw delivery is kept in the inbox (status `failed`) for inspection.',
  },
];
