-- How many pay requests an order has had: n in the outbound key pay:<orderId>:<n>.

ALTER TABLE orders ADD COLUMN payment_attempts integer NOT NULL DEFAULT 0;
