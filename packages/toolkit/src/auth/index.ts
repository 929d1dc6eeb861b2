/** @steadfast/toolkit/auth: tenants and operators, hashed API keys with a lifecycle, and the Bearer-key Fastify plugin. */
export type {
  ApiKeyVerifier,
  ApiKeyVerifierOptions,
  CachedVerification,
  KeyOwner,
  OperatorPrincipal,
  Principal,
  TenantPrincipal,
} from './api-keys.ts';
export {
  API_KEY_PATTERN,
  createApiKeyVerifier,
  displayPrefix,
  generateApiKey,
  hashApiKey,
  principalScope,
} from './api-keys.ts';
export type { AuthFailureThrottle, AuthFailureThrottleOptions } from './failure-throttle.ts';
export { createAuthFailureThrottle } from './failure-throttle.ts';
export type { ApiKeyInfo, CreateApiKeyInput, CreatedApiKey, RotatedApiKey } from './keys.ts';
export {
  API_KEYS_CHANNEL,
  createApiKey,
  findApiKey,
  listApiKeys,
  revokeApiKey,
  rotateApiKey,
} from './keys.ts';
export { authMigrations } from './migrations.ts';
export type { ApiKeyAuthOptions, AuthFailureReason, KeyChangesOptions } from './plugin.ts';
export {
  apiKeyAuth,
  listenForKeyChanges,
  principalOf,
  requireOperator,
  requireScope,
  requireTenant,
} from './plugin.ts';
export type { CreatedOperator, CreatedTenant, CreateTenantInput } from './tenants.ts';
export { createOperator, createTenant } from './tenants.ts';
