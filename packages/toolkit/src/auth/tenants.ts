/** The owners of keys: tenants (created with their first key) and operators (nobody's tenant). */

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

export interface CreatedOperator {
  operatorId: string;
}

/** An operator: the principal of operator routes, which is nobody's tenant. Give it keys with `createApiKey`. */
export async function createOperator(
  db: Queryable,
  ids: IdGenerator,
  input: { name: string; operatorId?: string },
): Promise<CreatedOperator> {
  const operatorId = input.operatorId ?? ids.next('opr');
  await db.query('INSERT INTO operators (id, name) VALUES ($1, $2)', [operatorId, input.name]);
  return { operatorId };
}
