/**
 * The contract of webhook intake's problem types, written out: what a sender
 * (and the problem docs page) sees for each refusal.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createProblemRegistry } from '../problems/index.ts';
import { webhookProblems } from './problems.ts';

describe('webhookProblems', () => {
  test('slug, status, title, category and retryable of each type', () => {
    assert.deepEqual(
      webhookProblems.map((p) => [p.slug, p.status, p.title, p.category, p.retryable]),
      [
        ['webhook-signature-invalid', 401, 'The webhook signature is not valid', 'unauthorized', false],
        [
          'webhook-timestamp-out-of-tolerance',
          401,
          'The webhook timestamp is too old or too new',
          'unauthorized',
          false,
        ],
        ['webhook-payload-invalid', 400, 'The webhook body is not valid JSON', 'validation', false],
        ['webhook-id-invalid', 400, 'The webhook-id header is not usable', 'validation', false],
      ],
    );
  });

  test('each description says what happened to the delivery', () => {
    assert.deepEqual(Object.fromEntries(webhookProblems.map((p) => [p.slug, p.description])), {
      'webhook-signature-invalid':
        'The `webhook-id`, `webhook-timestamp` and `webhook-signature` headers (Standard Webhooks) are missing, or no configured secret produces the signature. Nothing was stored.',
      'webhook-timestamp-out-of-tolerance':
        'The `webhook-timestamp` is more than the tolerance (5 minutes by default) away from our clock — a replayed capture, or a sender with a wrong clock. Nothing was stored.',
      'webhook-payload-invalid':
        'The signature is valid but the body cannot be used: it is not UTF-8, not JSON, nests deeper than the limit (32 levels), or has a string or member name with U+0000 or a lone surrogate. The raw bytes are kept in the inbox (status `failed`, with the reason) for inspection and replay; sending the same body again does not help.',
      'webhook-id-invalid':
        'The signature is valid but `webhook-id` is longer than 255 characters or has characters other than visible ASCII, so the delivery cannot be deduplicated. Nothing was stored; do not resend it unchanged.',
    });
  });

  test('the types register alongside each other', () => {
    const registry = createProblemRegistry(webhookProblems);
    assert.equal(registry.get('webhook-id-invalid')?.status, 400);
    assert.equal(registry.all().length, 4);
  });
});
