-- The statements `POST /v1/activate` sends PostgreSQL for a new instance
-- on an existing license, without a snapshot cache, in the service's order
-- and round trips: one batch reads the key and its licenses (here one
-- statement, the licenses joined to the key: pgbench refuses \gset in a
-- pipeline, and the license's id is needed next); one batch begins the
-- transaction, takes the license's row lock and reads the license; then the instance's seat is looked up, the activation
-- and its audit event written. Variables: keys (how many keys run.sh
-- seeded, key i hashed as sha256('pgbkey:' || i)).
\set k random(1, :keys)
\set n random(1, 2000000000)
SELECT l.id AS license_id, l.brand_id AS brand_id, l.license_key_id, l.product_id, l.status, l.seats,
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
WHERE k.key_hash = sha256(('pgbkey:' || :k::text)::bytea) AND l.brand_id = k.brand_id ORDER BY l.created_at, l.id \gset
\startpipeline
BEGIN;
SELECT id FROM licenses WHERE brand_id = :brand_id AND id = :license_id FOR UPDATE;
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
WHERE l.brand_id = :brand_id AND l.id = :license_id;
\endpipeline
SELECT a.id, a.license_id, a.instance, a.instance_name, a.created_at, a.last_seen_at, a.deactivated_at, a.free
FROM activations a JOIN licenses l ON l.id = a.license_id
WHERE l.brand_id = :brand_id AND a.license_id = :license_id AND a.instance = 'https://pgb-' || :client_id::text || '-' || :n::text || '.example' AND a.deactivated_at IS NULL;
INSERT INTO activations (id, license_id, instance, instance_name, created_at, last_seen_at, deactivated_at, free)
  VALUES (gen_random_uuid(), :license_id, 'https://pgb-' || :client_id::text || '-' || :n::text || '.example', '', now(), now(), NULL, false)
  ON CONFLICT DO NOTHING;
INSERT INTO audit_events (id, at, actor_type, actor_id, brand_id, license_id, action, request_id, ip, data)
  VALUES (gen_random_uuid(), now(), 'license_key', gen_random_uuid()::text, :brand_id, :license_id, 'activation.created', 'req-pgbench', '127.0.0.1',
          '{"activation_id": "x", "instance": "https://pgb.example", "seats_used": 1}')
  ON CONFLICT DO NOTHING;
COMMIT;
