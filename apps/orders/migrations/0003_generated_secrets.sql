-- Secrets Steadfast generates when none is configured (outside production), kept in the
-- database so every process on it (any number of `steadfast web` replicas) uses the same one.
-- The steadfast_ prefix: installation state, not the API's data (schema dumps leave it out).

CREATE TABLE steadfast_generated_secrets (
  name text PRIMARY KEY,
  value text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
