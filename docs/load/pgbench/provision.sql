-- The statements `POST /v1/licenses` sends PostgreSQL for a new customer
-- (no Idempotency-Key), in the service's order and round trips: pgx sends
-- BEGIN with the first statement, and the customer's insert and its
-- locking read, as batches (pipelines here). The API key's authentication reads are outside the transaction
-- and not part of this shape. Variables: brand_id, product (slug) and
-- product_id (the product's id, which the service takes from its read).
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
\endpipeline
\startpipeline
INSERT INTO customers (id, email) VALUES (md5('c' || :client_id::text || '-' || :n::text)::uuid, 'pgb-' || :client_id::text || '-' || :n::text || '@bench.example') ON CONFLICT (email) DO NOTHING;
SELECT id, email FROM customers WHERE email = 'pgb-' || :client_id::text || '-' || :n::text || '@bench.example' FOR UPDATE;
\endpipeline
SELECT id, brand_id, customer_id, key_hash, key_ciphertext, key_hint, created_at FROM license_keys
  WHERE brand_id = :brand_id AND customer_id = md5('c' || :client_id::text || '-' || :n::text)::uuid ORDER BY created_at DESC, id DESC LIMIT 1;
INSERT INTO license_keys (id, brand_id, customer_id, key_hash, key_ciphertext, key_hint, created_at)
  VALUES (md5('k' || :client_id::text || '-' || :n::text)::uuid, :brand_id, md5('c' || :client_id::text || '-' || :n::text)::uuid, sha256(('pgb:' || :client_id::text || ':' || :n::text)::bytea),
          sha256(('sealed:' || :n::text)::bytea), '…ABCD', now())
  ON CONFLICT DO NOTHING;
SELECT l.id, l.license_key_id, l.brand_id, l.product_id, l.status, l.seats,
	l.expires_at, l.entitlements, l.metadata, l.version, l.created_at, l.updated_at,
	b.slug, p.slug, p.token_ttl_seconds,
	p.free_instances, p.max_free_activations, p.grace_days, p.activation_ttl_seconds,
	c.email, k.key_ciphertext, k.key_hint,
	(SELECT COUNT(*) FROM activations a WHERE a.license_id = l.id AND a.deactivated_at IS NULL AND NOT a.free),
	(SELECT COUNT(*) FROM activations a WHERE a.license_id = l.id AND a.deactivated_at IS NULL AND a.free)
FROM licenses l
JOIN brands b ON b.id = l.brand_id
JOIN products p ON p.id = l.product_id
JOIN license_keys k ON k.id = l.license_key_id
JOIN customers c ON c.id = k.customer_id
WHERE l.brand_id = :brand_id AND l.license_key_id = md5('k' || :client_id::text || '-' || :n::text)::uuid AND l.product_id = :product_id;
INSERT INTO licenses (id, license_key_id, brand_id, product_id, status, seats, expires_at, entitlements, metadata, version, created_at, updated_at)
  VALUES (md5('l' || :client_id::text || '-' || :n::text)::uuid, md5('k' || :client_id::text || '-' || :n::text)::uuid, :brand_id, :product_id, 'active', 1, NULL, '[]', '{}', 1, now(), now()) ON CONFLICT DO NOTHING;
INSERT INTO audit_events (id, at, actor_type, actor_id, brand_id, license_id, action, request_id, ip, data)
  VALUES (gen_random_uuid(), now(), 'api_key', gen_random_uuid()::text, :brand_id, md5('l' || :client_id::text || '-' || :n::text)::uuid, 'license.provisioned', 'req-pgbench', '127.0.0.1',
          '{"after": {"status": "active", "seats": 1, "expires_at": null, "entitlements": [], "metadata": {}}}')
  ON CONFLICT DO NOTHING;
COMMIT;
