/** @steadfast/toolkit/auth: tenants, hashed API keys with scopes, and the Bearer-key Fastify plugin. */
export type { ApiKeyVerifier, ApiKeyVerifierOptions, Principal } from './api-keys.ts';
export {
  API_KEY_PATTERN,
  createApiKeyVerifier,
  displayPrefix,
  generateApiKey,
  hashApiKey,
} from './api-keys.ts';
export { authMigrations } from './migrations.ts';
export type { ApiKeyAuthOptions } from './plugin.ts';
export { apiKeyAuth, principalOf, requireScope } from './plugin.ts';
export type { CreatedTenant, CreateTenantInput } from './tenants.ts';
export { createTenant, revokeApiKey } from './tenants.ts';
