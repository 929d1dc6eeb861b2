/** Every route of the Orders API. */
import type { ApiKeyVerifier } from '@steadfast/toolkit/auth';
import type { FastifyInstance } from 'fastify';
import { registerApiKeyRoutes } from './api-keys.ts';
import { registerCreateOrder } from './create-order.ts';
import { registerDeadLetterRoutes } from './dead-letters.ts';
import type { OrderRouteDeps } from './deps.ts';
import { registerOperationRoutes } from './operations.ts';
import { registerOrderActions } from './order-actions.ts';
import { registerOrderExtras } from './order-extras.ts';
import { registerPatchOrder } from './patch-order.ts';
import { registerPayOrder } from './pay-order.ts';
import { registerReadOrders } from './read-orders.ts';
import { registerWebhookEventRoutes } from './webhook-events.ts';

export type { OrderRouteDeps } from './deps.ts';

/** `verifier`: a revoke or rotate through the API forgets the key in this process at once */
export function registerOrderRoutes(
  app: FastifyInstance,
  deps: OrderRouteDeps,
  auth: { verifier?: ApiKeyVerifier } = {},
): void {
  registerCreateOrder(app, deps);
  registerReadOrders(app, deps);
  registerPatchOrder(app, deps);
  registerOrderActions(app, deps);
  registerOrderExtras(app, deps);
  registerPayOrder(app, deps);
  registerOperationRoutes(app, deps);
  registerDeadLetterRoutes(app, deps);
  registerWebhookEventRoutes(app, deps);
  registerApiKeyRoutes(app, deps, auth);
}
