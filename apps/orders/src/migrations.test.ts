/**
 * The app's schema: a fresh database migrates to exactly the template's schema,
 * and a database created by the pre-split migrations (0001–0004, integer ids)
 * upgrades in place — nothing re-run, nothing lost, the API still works on it.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { createTenant } from '@steadfast/toolkit/auth';
import { createIdGenerator } from '@steadfast/toolkit/ids';
import { pendingMigrations, type Queryable } from '@steadfast/toolkit/postgres';
import { createTestDatabase } from '@steadfast/toolkit/testing';
import { appMigrations, migrateApp } from './migrations.ts';
import { buildTestApp, createOrder } from './testing.ts';

const LEGACY_DIR = path.resolve(import.meta.dirname, 'testing-fixtures', 'legacy-migrations');

async function schemaOf(db: Queryable) {
  const columns = await db.query(`SELECT table_name, column_name, data_type, is_nullable, column_default
    FROM information_schema.columns WHERE table_schema = 'public' AND table_name NOT LIKE 'steadfast_%'
    ORDER BY table_name, column_name`);
  const indexes = await db.query(`SELECT tablename, indexname, indexdef FROM pg_indexes
    WHERE schemaname = 'public' AND tablename NOT LIKE 'steadfast_%' ORDER BY tablename, indexname`);
  const checks =
    await db.query(`SELECT conrelid::regclass::text AS t, conname, pg_get_constraintdef(oid) AS def
    FROM pg_constraint WHERE connamespace = 'public'::regnamespace AND conrelid::regclass::text NOT LIKE 'steadfast_%'
    ORDER BY t, conname`);
  return { columns: columns.rows, indexes: indexes.rows, constraints: checks.rows };
}

/** what the pre-split `steadfast migrate` did: each file in a transaction, recorded by number */
async function applyLegacyMigrations(db: Queryable): Promise<void> {
  await db.query(`CREATE TABLE steadfast_migrations (id integer PRIMARY KEY, name text NOT NULL,
    checksum text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`);
  for (const name of fs.readdirSync(LEGACY_DIR).sort()) {
    const sql = fs.readFileSync(path.join(LEGACY_DIR, name), 'utf8');
    await db.query(sql);
    await db.query('INSERT INTO steadfast_migrations (id, name, checksum) VALUES ($1, $2, $3)', [
      Number(name.slice(0, 4)),
      name,
      createHash('sha256').update(sql).digest('hex'),
    ]);
  }
}

describe('the app schema', () => {
  test('a fresh database gets every migration once, in order, none adopted', async () => {
    const empty = await createTestDatabase({ template: 'template0' });
    try {
      const applied = await migrateApp(empty.pool);
      assert.deepEqual(
        applied,
        appMigrations().map((m) => m.id),
      );
      const { rows } = await empty.pool.query(
        'SELECT count(*)::int AS n FROM steadfast_schema_migrations WHERE adopted_from IS NOT NULL',
      );
      assert.equal(rows[0].n, 0);
      assert.deepEqual(await migrateApp(empty.pool), []);
    } finally {
      await empty.close();
    }
  });

  test('a database at the pre-split schema upgrades in place and keeps its data', async () => {
    const legacy = await createTestDatabase({ template: 'template0' });
    const template = await createTestDatabase();
    let handedToApp = false; // the app closes (drops) it from then on
    try {
      await applyLegacyMigrations(legacy.pool);
      const ids = createIdGenerator();
      const tenant = await createTenant(legacy.pool, ids, { name: 'Old tenant', scopes: ['ops', 'reports'] });
      const orderId = ids.next('ord');
      await legacy.pool.query(
        `INSERT INTO orders (id, tenant_id, status, currency, items, total_amount, priced_at, created_at, updated_at, payment_attempts)
         VALUES ($2, $1, 'approved', 'EUR', '[{"sku":"SKU-1","quantity":1,"unitAmount":500,"amount":500}]', 500, now(), now(), now(), 2)`,
        [tenant.tenantId, orderId],
      );
      await legacy.pool.query(
        `INSERT INTO idempotency_keys (tenant_id, method, route, key, fingerprint, state, response_status, expires_at)
         VALUES ($1, 'POST', '/v1/orders', 'old-key', '\\x00', 'completed', 201, now() + interval '1 day')`,
        [tenant.tenantId],
      );
      const before = await schemaOf(legacy.pool);

      const adopted = await migrateApp(legacy.pool);
      assert.deepEqual(
        adopted,
        appMigrations().map((m) => m.id),
      );
      const { rows } = await legacy.pool.query(
        'SELECT count(*)::int AS n FROM steadfast_schema_migrations WHERE adopted_from IS NOT NULL',
      );
      // migrations written after the split run on it; every other one is adopted
      const afterSplit = [
        'webhooks/0002_webhook_inbox_raw_bytes',
        'orders/0003_generated_secrets',
        'outbox/0002_outbox_traceparent',
        'operations/0002_operations_trace',
        'webhooks/0003_webhook_inbox_traceparent',
        'auth/0002_operators_and_key_lifecycle',
        'rate-limits/0001_rate_limits',
        'lineage/0001_lineage',
        'egress-history/0001_egress_history',
        'operations/0003_operations_open',
        'orders/0004_console',
        'versioning/0001_api_version_usage',
        'orders/0006_tenant_api_versions',
        'orders/0007_lineage_indexes',
        'orders/0005_order_customer',
      ];
      assert.equal(rows[0].n, appMigrations().length - afterSplit.length, 'adopted, none re-run');
      assert.deepEqual(await pendingMigrations(legacy.pool, appMigrations()), []);
      for (const c of before.columns)
        if (c.table_name === 'webhook_inbox' && c.column_name === 'raw_body') c.data_type = 'bytea';
      // the carried trace context (tracing, request lineage)
      for (const [table_name, column_name] of [
        ['operations', 'request_id'],
        ['operations', 'traceparent'],
        ['outbox', 'traceparent'],
        ['webhook_inbox', 'traceparent'],
      ])
        before.columns.push({
          table_name,
          column_name,
          data_type: 'text',
          is_nullable: 'YES',
          column_default: null,
        });
      // the order's customer (orders/0005, expand step)
      before.columns.push({
        table_name: 'orders',
        column_name: 'customer',
        data_type: 'jsonb',
        is_nullable: 'YES',
        column_default: null,
      });
      // operators, and the key's owner, name and expiry (auth/0002): as a fresh database has them
      const fresh = await schemaOf(template.pool);
      // tables created after the split (operators, rate limits, lineage, history, console): as fresh has them
      const legacyTables = new Set(before.columns.map((c) => c.table_name));
      const newTable = (table: string) => !legacyTables.has(table);
      const added = (c: Record<string, string>) =>
        newTable(c.table_name) ||
        (c.table_name === 'api_keys' &&
          ['operator_id', 'name', 'expires_at', 'tenant_id'].includes(c.column_name));
      before.columns = [...before.columns.filter((c) => !added(c)), ...fresh.columns.filter(added)];
      before.indexes.push(
        ...fresh.indexes.filter(
          (i) =>
            [
              'api_keys_operator_idx',
              'operations_open_idx',
              'operations_request_id_idx',
              'operations_resource_idx',
              'outbox_order_id_idx',
              'outbox_open_idx',
              'webhook_inbox_charge_order_idx',
              'webhook_inbox_charge_id_idx',
            ].includes(i.indexname) || newTable(i.tablename),
        ),
      );
      before.constraints = [
        ...before.constraints.filter((c) => c.conname !== 'api_keys_tenant_id_not_null'),
        ...fresh.constraints.filter(
          (c) => newTable(c.t) || ['api_keys_one_owner', 'api_keys_operator_id_fkey'].includes(c.conname),
        ),
      ];
      const byName = (a: Record<string, string>, b: Record<string, string>) =>
        `${a.table_name}.${a.column_name}`.localeCompare(`${b.table_name}.${b.column_name}`);
      const byKey =
        (key: (r: Record<string, string>) => string) =>
        (a: Record<string, string>, b: Record<string, string>) =>
          key(a).localeCompare(key(b));
      const sortAll = (schema: typeof before) => {
        schema.columns.sort(byName);
        schema.indexes.sort(byKey((i) => `${i.tablename}.${i.indexname}`));
        schema.constraints.sort(byKey((c) => `${c.t}.${c.conname}`));
      };
      sortAll(before);
      const upgraded = await schemaOf(legacy.pool);
      sortAll(upgraded);
      assert.deepEqual(upgraded, before, 'the upgrade changed only what later migrations change');
      assert.deepEqual(await schemaOf(legacy.pool), await schemaOf(template.pool));
      const kept = await legacy.pool.query(`SELECT payment_attempts FROM orders WHERE id = $1`, [orderId]);
      assert.equal(kept.rows[0].payment_attempts, 2);
      const key = await legacy.pool.query(
        `SELECT state, response_status FROM idempotency_keys WHERE key = 'old-key'`,
      );
      assert.deepEqual(key.rows, [{ state: 'completed', response_status: 201 }], 'stored answers survive');
      const scopes = await legacy.pool.query('SELECT scopes FROM api_keys WHERE id = $1', [tenant.keyId]);
      assert.deepEqual(scopes.rows[0].scopes, ['reports'], 'a tenant key lost the ops scope, nothing else');

      const app = await buildTestApp({ database: legacy });
      handedToApp = true;
      try {
        const old = await app.inject({ method: 'GET', url: `/v1/orders/${orderId}`, apiKey: tenant.apiKey });
        assert.equal(old.statusCode, 200);
        assert.equal(old.json().totalAmount, 500);
        const created = await createOrder(app, undefined, tenant.apiKey);
        assert.equal(created.status, 'draft');
        const ready = await app.inject({ method: 'GET', url: '/readyz', apiKey: null });
        assert.equal(ready.statusCode, 200);
      } finally {
        await app.close();
      }
    } finally {
      await template.close();
      if (!handedToApp) await legacy.close();
    }
  });
});
