-- The reference app's orders.

-- orders.tenant_id has no foreign key on purpose: every insert would take a
-- KEY SHARE lock on the tenant's row, and concurrent creates of one tenant then
-- contend on it (measured: 0.67x vs 0.80x of a bare insert). Tenant ids come
-- only from authenticated API keys, and tenants are never deleted.
CREATE TABLE orders (
  id text PRIMARY KEY,
  tenant_id text NOT NULL,
  status text NOT NULL CHECK (status IN ('draft', 'submitted', 'approved', 'payment_pending', 'paid', 'canceled')),
  currency char(3) NOT NULL,
  items jsonb NOT NULL,
  total_amount bigint NOT NULL CHECK (total_amount >= 0),
  customer_email text,
  metadata jsonb NOT NULL DEFAULT '{}',
  last_payment_error jsonb,
  priced_at timestamptz NOT NULL,
  pricing_stale boolean NOT NULL DEFAULT false,
  version integer NOT NULL DEFAULT 1,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL
);
CREATE INDEX orders_tenant_id_idx ON orders (tenant_id, id DESC);
CREATE INDEX orders_tenant_status_id_idx ON orders (tenant_id, status, id DESC);
