#!/usr/bin/env bash
# Load run against loopback: one `licensed serve`, wrk from a second
# process. Every scenario is reported next to GET /healthz measured in the
# same run (the machine is noisy: ratios, not absolute numbers, are the
# result). Usage:
#   docs/load/run.sh                 # embedded SQLite, in-process cache
#   DB=postgres docs/load/run.sh     # PostgreSQL (LICENSED_TEST_POSTGRES_URL's server), no Redis
#   DB=postgres REDIS=1 docs/load/run.sh   # PostgreSQL + Redis (127.0.0.1:6379)
set -euo pipefail
cd "$(dirname "$0")/../.."
export PATH="$PATH:/usr/local/go/bin"
command -v wrk >/dev/null || { echo "needs wrk (apt-get install wrk)"; exit 1; }
DURATION=${DURATION:-10s} THREADS=${THREADS:-2} CONNS=${CONNS:-32}
work=$(mktemp -d); trap 'kill $pid 2>/dev/null || true; rm -rf "$work"' EXIT
go build -o "$work/licensed" ./cmd/licensed
export LICENSED_DATA_DIR="$work/data" LICENSED_ADDR=127.0.0.1:18080 LICENSED_RATE_LIMITS=off LICENSED_LOG_LEVEL=warn
if [ "${DB:-}" = postgres ]; then
  db=licensed_load
  psql -h 127.0.0.1 -U root -d postgres -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "CREATE DATABASE $db"
  export LICENSED_DATABASE_URL="postgres://root@127.0.0.1:5432/$db" LICENSED_MASTER_KEY=$(head -c32 /dev/urandom | base64)
fi
if [ -n "${REDIS:-}" ]; then export LICENSED_REDIS_URL=redis://127.0.0.1:6379/0 LICENSED_REDIS_PREFIX="licensed-load-$$:"; fi
L="$work/licensed"
"$L" serve 2>"$work/serve.log" & pid=$!
for _ in $(seq 50); do curl -sf localhost:18080/readyz >/dev/null && break; sleep 0.2; done
"$L" brands create --slug load --name Load >/dev/null
"$L" products create --brand load --slug pro --name Pro --seats 1000 >/dev/null
key=$("$L" api-keys create --brand load --name load --scopes licenses:read,licenses:write | python3 -c 'import json,sys;print(json.load(sys.stdin)["key"])')
lk=$(curl -sf localhost:18080/v1/licenses -H "Authorization: Bearer $key" -H 'Content-Type: application/json' \
  -d '{"customer_email":"load@example.com","product":"pro"}' | python3 -c 'import json,sys;print(json.load(sys.stdin)["license_key"])')
body() { echo "$1" >"$work/$2.json"; }
body "{\"license_key\":\"$lk\",\"product\":\"load/pro\",\"instance\":\"example.org\"}" act
curl -sf localhost:18080/v1/activate -H 'Content-Type: application/json' -d @"$work/act.json" >/dev/null
body "{\"license_key\":\"$lk\",\"product\":\"load/pro\"}" val
body '{"customer_email":"load@example.com"}' search

run() { # name, path, body file, auth
  echo "== $1"
  if [ -n "${3:-}" ]; then
    BODY_FILE="$work/$3.json" AUTH="${4:-}" wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" --latency -s docs/load/post.lua "http://127.0.0.1:18080$2"
  else
    wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" --latency "http://127.0.0.1:18080$2"
  fi
}
echo "store: ${DB:-sqlite}  redis: ${REDIS:-no}  wrk -t$THREADS -c$CONNS -d$DURATION"
run "GET /healthz (baseline)" /healthz
run "POST /v1/validate (license token)" /v1/validate val
run "POST /v1/validate (activation token)" /v1/validate act
run "POST /v1/activate (seat already held: a write)" /v1/activate act
run "POST /v1/licenses/search" /v1/licenses/search search "$key"
run "GET /.well-known/jwks.json" /.well-known/jwks.json
