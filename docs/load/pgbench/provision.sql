-- The statements `POST /v1/licenses` sends PostgreSQL for a new customer
-- (no Idempotency-Key), in the service's order and round trips (batches
-- in pgx, pipelines here): BEGIN, the product and the customer's insert
-- and locking read; then, the customer being new (it has no key and no
-- license to read), the key, the license, the audit event and the brand's
-- webhook endpoints (none here, so no delivery); then COMMIT. The API
-- key's authentication reads are outside the transaction and not part of
-- this shape. Variables: brand_id, product (slug) and product_id (the
-- product's id, which the service takes from its read).
--
-- pgbench cannot keep a result of a pipelined statement (\gset is refused
-- in pipeline mode), and the service makes its ids itself: so the ids here
-- are made from the client and a random number (md5(...)::uuid) and
-- written into each statement, as the service writes its own.
\set n random(1, 2000000000)
\startpipeline
BEGIN;
SELECT id, brand_id, slug, name, default_seats, token_ttl_seconds, free_instances, max_free_activations, grace_days, activation_ttl_seconds, created_at
  FROM products WHERE brand_id = :brand_id AND slug = :product;
INSERT INTO customers (id, email) VALUES (md5('c' || :client_id::text || '-' || :n::text)::uuid, 'pgb-' || :client_id::text || '-' || :n::text || '@bench.example') ON CONFLICT (email) DO NOTHING;
SELECT id, email FROM customers WHERE email = 'pgb-' || :client_id::text || '-' || :n::text || '@bench.example' FOR UPDATE;
\endpipeline
\startpipeline
INSERT INTO license_keys (id, brand_id, customer_id, key_hash, key_ciphertext, key_hint, created_at)
  VALUES (md5('k' || :client_id::text || '-' || :n::text)::uuid, :brand_id, md5('c' || :client_id::text || '-' || :n::text)::uuid, sha256(('pgb:' || :client_id::text || ':' || :n::text)::bytea),
          sha256(('sealed:' || :n::text)::bytea), '…ABCD', now())
  ON CONFLICT DO NOTHING RETURNING 1;
INSERT INTO licenses (id, license_key_id, brand_id, product_id, status, seats, expires_at, entitlements, metadata, version, created_at, updated_at)
  VALUES (md5('l' || :client_id::text || '-' || :n::text)::uuid, md5('k' || :client_id::text || '-' || :n::text)::uuid, :brand_id, :product_id, 'active', 1, NULL, '[]', '{}', 1, now(), now())
  ON CONFLICT DO NOTHING RETURNING 1;
INSERT INTO audit_events (id, at, actor_type, actor_id, brand_id, license_id, action, request_id, ip, data)
  VALUES (gen_random_uuid(), now(), 'api_key', gen_random_uuid()::text, :brand_id, md5('l' || :client_id::text || '-' || :n::text)::uuid, 'license.provisioned', 'req-pgbench', '127.0.0.1',
          '{"after": {"status": "active", "seats": 1, "expires_at": null, "entitlements": [], "metadata": {}}}')
  ON CONFLICT DO NOTHING RETURNING 1;
SELECT id, brand_id, url, events, secret_ciphertext, created_at FROM webhook_endpoints WHERE brand_id = :brand_id ORDER BY id;
\endpipeline
COMMIT;
