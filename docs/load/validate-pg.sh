#!/usr/bin/env bash
# Validation on PostgreSQL without Redis, as a ratio to bare HTTP: for each
# licensed binary given (say, one built from main and one from a branch),
# a fresh database, `licensed serve`, then GET /healthz and POST
# /v1/validate (one license, one seat, its activation token) driven by
# licensed-scale drive with the same connections and duration; binaries
# alternate for ROUNDS rounds.
#
#   go build -o /tmp/new ./cmd/licensed
#   docs/load/validate-pg.sh /tmp/old /tmp/new
set -euo pipefail
cd "$(dirname "$0")/../.."
PG=${PG:-postgres://root@127.0.0.1:5432}
DB=${DB:-licensed_validate_pg}
CONNS=${CONNS:-32}
DURATION=${DURATION:-10}
ROUNDS=${ROUNDS:-2}
PORT=${PORT:-18091}
tmp=$(mktemp -d)
server=
cleanup() { [ -n "$server" ] && kill "$server" 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
go build -o "$tmp/licensed-scale" ./cmd/licensed-scale
drive() { "$tmp/licensed-scale" drive -url "http://127.0.0.1:$PORT" -api-key "$apikey" -brand bench -product pro \
  -conns "$CONNS" -duration "${DURATION}s" -op "$1" | awk '{ print $(NF-1) }'; }
printf '%-40s %5s %12s %12s %7s\n' binary round healthz_rps validate_rps ratio
for r in $(seq 1 "$ROUNDS"); do
  for bin in "$@"; do
    psql -q "$PG/postgres" -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" -c "CREATE DATABASE $DB"
    export LICENSED_DATABASE_URL="$PG/$DB" LICENSED_MASTER_KEY="$(openssl rand -base64 32)" \
      LICENSED_RATE_LIMITS=off LICENSED_ADDR="127.0.0.1:$PORT" LICENSED_DATA_DIR="$tmp/data" LICENSED_LOG_LEVEL=warn
    "$bin" migrate >/dev/null
    "$bin" brands create --slug bench --name Bench >/dev/null
    "$bin" products create --brand bench --slug pro --name Pro --seats 1 >/dev/null
    apikey=$("$bin" api-keys create --brand bench --name bench --scopes licenses:read,licenses:write | jq -r .key)
    "$bin" serve >"$tmp/serve.log" 2>&1 &
    server=$!
    for _ in $(seq 1 300); do curl -fs "http://127.0.0.1:$PORT/readyz" >/dev/null && break; sleep 0.1; done
    curl -fs "http://127.0.0.1:$PORT/readyz" >/dev/null || { cat "$tmp/serve.log"; exit 1; }
    h=$(drive healthz)
    v=$(drive validate)
    kill "$server"; wait "$server" 2>/dev/null || true; server=
    printf '%-40s %5s %12s %12s %7.3f\n' "$bin" "$r" "$h" "$v" "$(echo "$v / $h" | bc -l)"
  done
done
