/** Problem types of the Orders API (added to the core registry). */
import type { ProblemType } from '@steadfast/toolkit/problems';

export const orderProblems: ProblemType[] = [
  {
    slug: 'invalid-transition',
    status: 409,
    title: 'The order cannot do that in its current status',
    category: 'conflict',
    retryable: false,
    description:
      'The order state machine does not allow this action in the order’s current status. The problem carries `currentStatus` and `allowedActions`. Read the order, then decide; repeating the request does not help.',
  },
  {
    slug: 'order-not-editable',
    status: 409,
    title: 'Only draft orders can be edited',
    category: 'conflict',
    retryable: false,
    description:
      'PATCH changes only orders in `draft`. The problem carries `currentStatus`. Reopen a submitted or canceled order first (`POST /v1/orders/{id}/reopen`).',
  },
  {
    slug: 'unknown-sku',
    status: 422,
    title: 'Unknown SKU',
    category: 'validation',
    retryable: false,
    description:
      'The pricing source does not know a SKU of the order. `errors` points at the item. Nothing was written.',
  },
  {
    slug: 'payment-declined',
    status: 402,
    title: 'The payment was declined',
    category: 'conflict',
    retryable: false,
    description:
      'The payment partner declined the charge (the problem carries `failureCode`). The order is back in `approved` with `lastPaymentError`; paying again is a new attempt with a new Idempotency-Key, after the customer fixed the cause.',
  },
  {
    slug: 'payment-rejected',
    status: 502,
    title: 'The payment partner rejected the charge request',
    category: 'dependency',
    retryable: false,
    description:
      'The payment partner refused the charge request itself (a 4xx answer that is not a card decline, e.g. an invalid parameter, bad credentials or a conflict); the problem carries the partner’s `partnerStatus` and `partnerCode`. Nothing was charged. The order is back in `approved` with `lastPaymentError`. Sending the same pay request again does not help: the cause is on our side or at the partner, not the card — an operator is alerted by a dead letter; pay again with a new Idempotency-Key once it is fixed.',
  },
  {
    slug: 'payment-mismatch',
    status: 502,
    title: 'The payment partner’s charge does not match the payment',
    category: 'dependency',
    retryable: false,
    description:
      'The payment partner reported a charge for this payment that is not the one we asked for: another amount, currency or reference (`pay:<orderId>:<n>`), or another charge id than the one recorded for the attempt. `mismatches` lists each field with `expected` and `got`; `chargeId` and `chargeStatus` name the partner’s charge. Such a charge never makes the order paid nor sends it back to approved: the order stays `payment_pending`, the operation stays `running` with this problem as `lastError`, and a dead letter alerts an operator, who checks the charge at the partner and decides (see docs/payments.md). Retrying the request does not help.',
  },
  {
    slug: 'dead-letter-closed',
    status: 409,
    title: 'The dead letter was already replayed or discarded',
    category: 'conflict',
    retryable: false,
    description:
      'Only dead letters in status `dead` can be replayed or discarded. The problem carries `currentStatus`.',
  },
  {
    slug: 'api-version-unknown',
    status: 422,
    title: 'That API version is not one this API speaks',
    category: 'validation',
    retryable: false,
    description:
      'A tenant can pin only one of the supported versions (`supportedVersions`, oldest first), in `YYYY-MM-DD` form. Nothing was changed. The changelog (docs/api-changelog.md) says what each version changed.',
  },
  {
    slug: 'api-key-inactive',
    status: 409,
    title: 'The API key is revoked or expired',
    category: 'conflict',
    retryable: false,
    description:
      'Only an active key can be rotated. A revoked or expired key stays refused; create a new key with `POST /v1/api-keys` instead.',
  },
];
