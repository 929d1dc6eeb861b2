/**
 * The demo tenant and the demo operator: created on first start, each with a
 * key kept in STEADFAST_HOME (or given by STEADFAST_DEMO_API_KEY /
 * STEADFAST_DEMO_OPERATOR_KEY). The tenant key sees the demo tenant's data; the
 * operator key is nobody's tenant and the one way into operator routes.
 */

import { displayPrefix, generateApiKey, hashApiKey } from '@steadfast/toolkit/auth';
import type { IdGenerator } from '@steadfast/toolkit/ids';
import type { Pool } from '@steadfast/toolkit/postgres';
import { pinNewTenant } from '../api-version-pins.ts';
import { NEWEST_VERSION } from '../api-versions.ts';
import type { Config } from '../config.ts';
import { type HomeState, readHomeState, updateHomeState } from './home.ts';

export const DEMO_TENANT_ID = 'ten_demo';
export const DEMO_OPERATOR_ID = 'opr_demo';

/** the configured key, else the one kept in the home, else a new one kept there; none in production */
function demoKey(config: Config, configured: string | undefined, field: 'demoApiKey' | 'demoOperatorKey') {
  if (configured) return configured;
  if (config.environment === 'production') return undefined;
  const kept = readHomeState(config.home)[field];
  if (kept) return kept;
  const key = generateApiKey();
  updateHomeState(config.home, { [field]: key } as Partial<HomeState>);
  return key;
}

/** the demo key of its owner, once (a restart finds it by its hash) */
async function addDemoKey(
  pool: Pool,
  ids: IdGenerator,
  key: string,
  ownerColumn: 'tenant_id' | 'operator_id',
  ownerId: string,
): Promise<void> {
  await pool.query(
    `INSERT INTO api_keys (id, ${ownerColumn}, key_hash, prefix, name) VALUES ($1, $2, $3, $4, 'demo')
     ON CONFLICT (key_hash) DO NOTHING`,
    [ids.next('key'), ownerId, hashApiKey(key), displayPrefix(key)],
  );
}

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
  const key = demoKey(config, config.demoApiKey, 'demoApiKey');
  if (!key) return undefined;
  await pool.query(
    `INSERT INTO tenants (id, name, contact_email) VALUES ($1, 'Demo tenant', 'demo@example.com')
     ON CONFLICT (id) DO NOTHING`,
    [DEMO_TENANT_ID],
  );
  // pinned at creation to the newest API version (an existing demo tenant keeps its pin)
  await pinNewTenant(pool, DEMO_TENANT_ID, NEWEST_VERSION);
  await addDemoKey(pool, ids, key, 'tenant_id', DEMO_TENANT_ID);
  return key;
}

/**
 * Ensure the demo operator and its key exist; returns the key. In production
 * none is generated: without STEADFAST_DEMO_OPERATOR_KEY there is no demo
 * operator; create one with `steadfast key create --operator`.
 */
export async function ensureDemoOperator(
  pool: Pool,
  ids: IdGenerator,
  config: Config,
): Promise<string | undefined> {
  const key = demoKey(config, config.demoOperatorKey, 'demoOperatorKey');
  if (!key) return undefined;
  await pool.query(
    `INSERT INTO operators (id, name) VALUES ($1, 'Demo operator') ON CONFLICT (id) DO NOTHING`,
    [DEMO_OPERATOR_ID],
  );
  await addDemoKey(pool, ids, key, 'operator_id', DEMO_OPERATOR_ID);
  return key;
}
