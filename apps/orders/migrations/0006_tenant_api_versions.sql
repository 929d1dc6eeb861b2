-- The API version each tenant is pinned to (docs/versioning.md): set when the tenant is
-- created (the newest then), changed by the tenant through PUT /v1/api-version. A tenant
-- without a row was created before versions existed and speaks the first one.

CREATE TABLE tenant_api_versions (
  tenant_id text PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
  version text NOT NULL,
  pinned_at timestamptz NOT NULL DEFAULT now()
);
