/**
 * `steadfast key list|create|revoke` (the arguments are parsed and checked in
 * cli.ts): API keys of a tenant or an operator, from the command line. Each
 * prints one JSON line; a created key's secret is shown only this once.
 */
import {
  createApiKey,
  createOperator,
  type KeyOwner,
  listApiKeys,
  revokeApiKey,
} from '@steadfast/toolkit/auth';
import { createIdGenerator } from '@steadfast/toolkit/ids';
import { createLogger } from '@steadfast/toolkit/observability';
import type { Pool } from '@steadfast/toolkit/postgres';
import type { Config } from '../config.ts';
import { migrateApp } from '../migrations.ts';
import { openDatabase } from '../runtime/database.ts';

/** `operator`: an operator id (opr_…) to add a key to, or the name of a new operator */
export type KeyOwnerArg = { tenantId: string } | { operator: string };

async function withDatabase(config: Config, run: (pool: Pool) => Promise<number>): Promise<number> {
  const logger = createLogger({ level: config.logLevel === 'info' ? 'warn' : config.logLevel });
  const db = await openDatabase(config, logger, { role: 'tool', poolMax: 2 });
  try {
    await migrateApp(db.pool);
    return await run(db.pool);
  } finally {
    await db.close();
  }
}

const print = (value: unknown) => process.stdout.write(`${JSON.stringify(value)}\n`);

async function ownerExists(pool: Pool, owner: KeyOwner): Promise<boolean> {
  const { rows } =
    'tenantId' in owner
      ? await pool.query('SELECT 1 FROM tenants WHERE id = $1', [owner.tenantId])
      : await pool.query('SELECT 1 FROM operators WHERE id = $1', [owner.operatorId]);
  return rows.length === 1;
}

function describe(owner: KeyOwner): string {
  return 'tenantId' in owner ? `tenant ${owner.tenantId}` : `operator ${owner.operatorId}`;
}

export async function runKeyList(config: Config, arg: KeyOwnerArg): Promise<number> {
  const owner: KeyOwner = 'tenantId' in arg ? arg : { operatorId: arg.operator };
  return withDatabase(config, async (pool) => {
    if (!(await ownerExists(pool, owner))) throw new Error(`no ${describe(owner)}`);
    print({ data: await listApiKeys(pool, owner, { limit: 1000 }) });
    return 0;
  });
}

export async function runKeyCreate(
  config: Config,
  args: KeyOwnerArg & { name: string | undefined; expiresInS: number | undefined },
): Promise<number> {
  return withDatabase(config, async (pool) => {
    const ids = createIdGenerator();
    let owner: KeyOwner;
    if ('tenantId' in args) owner = { tenantId: args.tenantId };
    else if (args.operator.startsWith('opr_')) owner = { operatorId: args.operator };
    else owner = await createOperator(pool, ids, { name: args.operator });
    if (!(await ownerExists(pool, owner))) throw new Error(`no ${describe(owner)}`);
    const expiresAt =
      args.expiresInS === undefined ? undefined : new Date(Date.now() + args.expiresInS * 1000);
    const created = await createApiKey(pool, ids, { ...owner, name: args.name, expiresAt });
    print({
      ...owner,
      keyId: created.id,
      apiKey: created.apiKey,
      name: created.name,
      expiresAt: created.expiresAt,
    });
    return 0;
  });
}

export async function runKeyRevoke(config: Config, args: { keyId: string }): Promise<number> {
  return withDatabase(config, async (pool) => {
    const { rows } = await pool.query<{ tenant_id: string | null; operator_id: string | null }>(
      'SELECT tenant_id, operator_id FROM api_keys WHERE id = $1',
      [args.keyId],
    );
    if (!rows[0]) throw new Error(`no API key ${args.keyId}`);
    const owner: KeyOwner =
      rows[0].tenant_id !== null
        ? { tenantId: rows[0].tenant_id }
        : { operatorId: rows[0].operator_id as string };
    // every running instance forgets the key at once (the revoke notifies them)
    const revoked = await revokeApiKey(pool, owner, args.keyId);
    print({ keyId: args.keyId, revoked: true, alreadyRevoked: !revoked });
    return 0;
  });
}
