-- Expand: an order's customer as { "email": …, "name": … } beside customer_email (docs/evolution.md).
-- Nullable without a default, so adding it changes the catalog only: no table rewrite, no scan.
-- The ACCESS EXCLUSIVE lock it needs is held for milliseconds, but waiting for it would queue every
-- query behind us: give up after 5 s instead (the migration fails whole and is retried).
SET LOCAL lock_timeout = '5s';

ALTER TABLE orders ADD COLUMN customer jsonb;

-- The previous release still writes customer_email alone (PATCH of a draft). Once a row's customer
-- is set, reads prefer it, so such a write must reach it too: when customer_email changes and
-- customer does not, customer follows it (keeping the name). Rows still without customer are left
-- to the backfill (reads fall back to customer_email). Dropped in the contract step.
CREATE FUNCTION orders_customer_follows_email() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF OLD.customer IS NOT NULL
     AND NEW.customer IS NOT DISTINCT FROM OLD.customer
     AND NEW.customer_email IS DISTINCT FROM OLD.customer_email THEN
    NEW.customer := CASE
      WHEN NEW.customer_email IS NULL AND OLD.customer->>'name' IS NULL THEN NULL
      ELSE jsonb_build_object('email', NEW.customer_email, 'name', OLD.customer->'name')
    END;
  END IF;
  RETURN NEW;
END
$$;

CREATE TRIGGER orders_customer_follows_email BEFORE UPDATE OF customer_email ON orders
  FOR EACH ROW EXECUTE FUNCTION orders_customer_follows_email();
