/**
 * The `operationId` of every operation: the name a generated client gives the
 * call (`client.createOrder(...)`). One table, so names are chosen on purpose
 * and stay stable; a route missing here has none, and openapi-shape.test.ts
 * fails until it is added.
 */
import { type OpenApiDocument, operationsOf } from './openapi-walk.ts';

export const OPERATION_IDS: Readonly<Record<string, string>> = {
  'POST /v1/orders': 'createOrder',
  'GET /v1/orders': 'listOrders',
  'GET /v1/orders/{id}': 'getOrder',
  'PATCH /v1/orders/{id}': 'updateOrder',
  'POST /v1/orders/{id}/submit': 'submitOrder',
  'POST /v1/orders/{id}/approve': 'approveOrder',
  'POST /v1/orders/{id}/cancel': 'cancelOrder',
  'POST /v1/orders/{id}/reopen': 'reopenOrder',
  'POST /v1/orders/{id}/pay': 'payOrder',
  'GET /v1/orders/{id}/recommendations': 'getOrderRecommendations',
  'GET /v1/dependencies': 'listDependencies',
  'GET /v1/operations': 'listOperations',
  'GET /v1/operations/{id}': 'getOperation',
  'GET /v1/dead-letters': 'listDeadLetters',
  'GET /v1/dead-letters/{id}': 'getDeadLetter',
  'POST /v1/dead-letters/{id}/replay': 'replayDeadLetter',
  'POST /v1/dead-letters/{id}/discard': 'discardDeadLetter',
  'GET /v1/webhook-events': 'listWebhookEvents',
  'POST /v1/webhook-events/{id}/replay': 'replayWebhookEvent',
  'POST /v1/reconciliations': 'startReconciliation',
  'GET /v1/api-keys': 'listApiKeys',
  'POST /v1/api-keys': 'createApiKey',
  'POST /v1/api-keys/{id}/revoke': 'revokeApiKey',
  'POST /v1/api-keys/{id}/rotate': 'rotateApiKey',
  'GET /v1/api-version': 'getApiVersion',
  'PUT /v1/api-version': 'pinApiVersion',
  'POST /webhooks/payments': 'receivePaymentWebhook',
};

/**
 * Answers whose idempotent replay differs by design: a key's secret is shown once and never stored,
 * so a replay answers `apiKey: null` and says why in `secretOmitted` (`x-replay-omits`, read by
 * steadfast-check's replay checks).
 */
const REPLAY_OMITS: Record<string, string[]> = {
  'POST /v1/api-keys': ['/apiKey', '/secretOmitted'],
  'POST /v1/api-keys/{id}/rotate': ['/created/apiKey', '/created/secretOmitted'],
};

/** Sets each operation's id from the table (an id the route schema sets itself is kept). */
export function withOperationIds<T extends OpenApiDocument>(document: T, table = OPERATION_IDS): T {
  for (const { key, operation } of operationsOf(document)) {
    const id = table[key];
    if (id !== undefined && operation.operationId === undefined) operation.operationId = id;
    if (REPLAY_OMITS[key]) (operation as Record<string, unknown>)['x-replay-omits'] = REPLAY_OMITS[key];
  }
  return document;
}
