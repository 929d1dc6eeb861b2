-- A booking is charged once by the charge-booking job; refunds arrive as webhooks.
CREATE TABLE bookings (
  id text PRIMARY KEY,
  room text NOT NULL,
  guest text NOT NULL,
  amount integer NOT NULL CHECK (amount > 0),
  currency text NOT NULL,
  status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'confirmed', 'refunded')),
  charge_id text UNIQUE,
  version integer NOT NULL DEFAULT 1,
  created_at timestamptz NOT NULL DEFAULT now()
);
