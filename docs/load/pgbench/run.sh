#!/usr/bin/env bash
# Baselines of the service's writes: pgbench runs the transaction shape of
# provisioning (provision.sql) and of activating a new instance
# (activate.sql) against a fresh database, and the same operations run
# through `licensed serve` on that database (licensed-scale drive, same
# connections), in alternating slices of SLICE seconds, DURATION seconds
# of each per round: on a shared machine both then see the same load.
# Prints each round's tps, req/s and ratio service ÷ pgbench, then each
# operation's median ratio and the load average.
#
#   docs/load/pgbench/run.sh                      # from the repository root
#   PG=postgres://root@127.0.0.1:5432 DB=licensed_pgbench CONNS=8 DURATION=15 SLICE=5 ROUNDS=2 docs/load/pgbench/run.sh
#
# It drops and recreates database $DB. Rate limits are off; no Redis.
set -euo pipefail
cd "$(dirname "$0")/../../.."
PG=${PG:-postgres://root@127.0.0.1:5432}
DB=${DB:-licensed_pgbench}
CONNS=${CONNS:-8}
DURATION=${DURATION:-15}
SLICE=${SLICE:-5}
ROUNDS=${ROUNDS:-2}
KEYS=${KEYS:-1000}
PORT=${PORT:-18090}
here=docs/load/pgbench
tmp=$(mktemp -d)
server=
cleanup() { [ -n "$server" ] && kill "$server" 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT

psql -q "$PG/postgres" -c "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB"
go build -o "$tmp/licensed" ./cmd/licensed
go build -o "$tmp/licensed-scale" ./cmd/licensed-scale
export LICENSED_DATABASE_URL="$PG/$DB" LICENSED_MASTER_KEY="$(openssl rand -base64 32)" \
  LICENSED_RATE_LIMITS=off LICENSED_ADDR="127.0.0.1:$PORT" LICENSED_DATA_DIR="$tmp/data"
"$tmp/licensed" migrate >/dev/null
"$tmp/licensed" brands create --slug bench --name Bench >/dev/null
"$tmp/licensed" products create --brand bench --slug pro --name Pro --seats 1 >/dev/null
apikey=$("$tmp/licensed" api-keys create --brand bench --name bench --scopes licenses:read,licenses:write | jq -r .key)
brand_id=$(psql -Atq "$PG/$DB" -c "SELECT id FROM brands WHERE slug = 'bench'")
product_id=$(psql -Atq "$PG/$DB" -c "SELECT id FROM products WHERE slug = 'pro' AND brand_id = '$brand_id'")
pgbench_tps() { # seconds, script, extra -D...
  local t=$1 f=$2; shift 2
  pgbench -n -M prepared -c "$CONNS" -j 2 -T "$t" "$@" -f "$here/$f" "$PG/$DB" 2>&1 |
    awk '/^tps = / { print $3 }'
}

"$tmp/licensed" serve >"$tmp/serve.log" 2>&1 &
server=$!
for _ in $(seq 1 300); do curl -fs "http://127.0.0.1:$PORT/readyz" >/dev/null && break; sleep 0.1; done
curl -fs "http://127.0.0.1:$PORT/readyz" >/dev/null || { cat "$tmp/serve.log"; exit 1; }

# activate.sql's keys: key i hashed as sha256('pgbkey:' || i), each with a
# license of many seats. Written after serve started: serve checks at start
# that the master key opens a sealed key, and these are not sealed.
psql -q "$PG/$DB" <<SQL
INSERT INTO customers (id, email) SELECT gen_random_uuid(), 'pgbkey-' || i || '@bench.example' FROM generate_series(1, $KEYS) i;
INSERT INTO license_keys (id, brand_id, customer_id, key_hash, key_ciphertext, key_hint, created_at)
  SELECT gen_random_uuid(), '$brand_id', c.id, sha256(('pgbkey:' || substring(c.email from 8 for position('@' in c.email) - 8))::bytea), '\x00', '…PGB', now()
  FROM customers c WHERE c.email LIKE 'pgbkey-%';
INSERT INTO licenses (id, license_key_id, brand_id, product_id, status, seats, created_at, updated_at, version)
  SELECT gen_random_uuid(), k.id, k.brand_id, p.id, 'active', 100000, now(), now(), 1
  FROM license_keys k JOIN products p ON p.brand_id = k.brand_id WHERE k.key_hint = '…PGB';
ANALYZE;
SQL

drive_rps() { # op, seconds
  "$tmp/licensed-scale" drive -url "http://127.0.0.1:$PORT" -api-key "$apikey" -brand bench -product pro \
    -op "$1" -conns "$CONNS" -duration "${2}s" | awk '{ print $(NF-1) }'
}
mean() { awk '{ s += $1 } END { printf "%.1f", s / NR }'; }
median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

echo "connections $CONNS, ${DURATION}s of each per round in ${SLICE}s slices alternated, $ROUNDS rounds"
printf '%-10s %5s %12s %12s %7s\n' operation round pgbench_tps service_rps ratio
for op in provision activate; do
  : >"$tmp/ratios"
  for r in $(seq 1 "$ROUNDS"); do
    : >"$tmp/base"; : >"$tmp/svc"
    for _ in $(seq 1 $(( (DURATION + SLICE - 1) / SLICE ))); do
      if [ "$op" = provision ]; then
        pgbench_tps "$SLICE" provision.sql -D brand_id="$brand_id" -D product=pro -D product_id="$product_id" >>"$tmp/base"
      else
        pgbench_tps "$SLICE" activate.sql -D keys="$KEYS" >>"$tmp/base"
      fi
      drive_rps "$op" "$SLICE" >>"$tmp/svc"
    done
    base=$(mean <"$tmp/base") svc=$(mean <"$tmp/svc")
    ratio=$(echo "$svc / $base" | bc -l)
    echo "$ratio" >>"$tmp/ratios"
    printf '%-10s %5s %12s %12s %7.2f\n' "$op" "$r" "$base" "$svc" "$ratio"
  done
  printf '%-10s median ratio %.2f\n' "$op" "$(median <"$tmp/ratios")"
done
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
