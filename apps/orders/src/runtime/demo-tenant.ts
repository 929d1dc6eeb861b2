/** The demo tenant: created on first start, with an `ops`-scoped key kept in STEADFAST_HOME. */

import { displayPrefix, generateApiKey, hashApiKey } from '@steadfast/toolkit/auth';
import type { IdGenerator } from '@steadfast/toolkit/ids';
import type { Pool } from '@steadfast/toolkit/postgres';
import type { Config } from '../config.ts';
import { readHomeState, updateHomeState } from './home.ts';

export const DEMO_TENANT_ID = 'ten_demo';

/**
 * Ensure the demo tenant and its key exist; returns the key. In production no
 * key is generated: without STEADFAST_DEMO_API_KEY there is no demo tenant
 * (undefined); create tenants with `steadfast tenant create`.
 */
export async function ensureDemoTenant(
  pool: Pool,
  ids: IdGenerator,
  config: Config,
): Promise<string | undefined> {
  let key = config.demoApiKey;
  if (!key && config.environment === 'production') return undefined;
  if (!key) {
    key = readHomeState(config.home).demoApiKey;
    if (!key) {
      key = generateApiKey();
      updateHomeState(config.home, { demoApiKey: key });
    }
  }
  await pool.query(
    `INSERT INTO tenants (id, name, contact_email) VALUES ($1, 'Demo tenant', 'demo@example.com')
     ON CONFLICT (id) DO NOTHING`,
    [DEMO_TENANT_ID],
  );
  await pool.query(
    `INSERT INTO api_keys (id, tenant_id, key_hash, prefix, scopes) VALUES ($1, $2, $3, $4, '{ops}')
     ON CONFLICT (key_hash) DO NOTHING`,
    [ids.next('key'), DEMO_TENANT_ID, hashApiKey(key), displayPrefix(key)],
  );
  return key;
}
