/** Tenants and their API keys: create, add a key, revoke. */

import type { IdGenerator } from '../ids/index.ts';
import type { Queryable } from '../postgres/index.ts';
import { API_KEY_PATTERN, displayPrefix, generateApiKey, hashApiKey } from './api-keys.ts';

export interface CreateTenantInput {
  name: string;
  contactEmail?: string;
  scopes?: string[];
  /** use this key instead of generating one (e.g. a demo key from your configuration) */
  apiKey?: string;
  tenantId?: string;
}

export interface CreatedTenant {
  tenantId: string;
  apiKey: string;
  keyId: string;
}

export async function createTenant(
  db: Queryable,
  ids: IdGenerator,
  input: CreateTenantInput,
): Promise<CreatedTenant> {
  const tenantId = input.tenantId ?? ids.next('ten');
  const apiKey = input.apiKey ?? generateApiKey();
  if (!API_KEY_PATTERN.test(apiKey)) throw new Error('API keys are 20-200 URL-safe characters');
  const keyId = ids.next('key');
  await db.query(
    `WITH t AS (INSERT INTO tenants (id, name, contact_email) VALUES ($1, $2, $3) RETURNING id)
     INSERT INTO api_keys (id, tenant_id, key_hash, prefix, scopes) SELECT $4, t.id, $5, $6, $7 FROM t`,
    [
      tenantId,
      input.name,
      input.contactEmail ?? null,
      keyId,
      hashApiKey(apiKey),
      displayPrefix(apiKey),
      input.scopes ?? [],
    ],
  );
  return { tenantId, apiKey, keyId };
}

export async function revokeApiKey(db: Queryable, keyId: string): Promise<boolean> {
  const result = await db.query(
    'UPDATE api_keys SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL',
    [keyId],
  );
  return result.rowCount === 1;
}
