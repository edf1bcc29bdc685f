#!/usr/bin/env bash
# Load run on loopback with the repository's own load tool
# (cmd/licensed-load): for each store shape, start `licensed serve` (rate
# limits off), make a platform admin key with the CLI, and let
# licensed-load seed through the API and drive validate, activate,
# provision and search in a closed loop, each in half-second slices
# alternating with a bare net/http ceiling served by the load tool itself.
# Ratios to that ceiling are the result; the machine is shared and noisy.
#
#   docs/load/run.sh                          # every shape, 5 s x 3 repetitions
#   SHAPES=sqlite docs/load/run.sh            # one shape (sqlite, postgres, postgres+redis)
#   DURATION=10s REPS=5 docs/load/run.sh      # the long run
#
# PostgreSQL: a database of this run's own on $PG_BASE (default
# postgres://root@127.0.0.1:5432), dropped at the end. Redis: $REDIS_URL
# (default redis://127.0.0.1:6379/0) under a key prefix of this run's own,
# deleted at the end.
set -euo pipefail
cd "$(dirname "$0")/../.."
export PATH="$PATH:/usr/local/go/bin"
SHAPES=${SHAPES:-"sqlite postgres postgres+redis"}
DURATION=${DURATION:-5s} REPS=${REPS:-3} CONNS=${CONNS:-32} LICENSES=${LICENSES:-64}
OPS=${OPS:-validate,validate-activation,activate,provision,search}
PG_BASE=${PG_BASE:-postgres://root@127.0.0.1:5432} REDIS_URL=${REDIS_URL:-redis://127.0.0.1:6379/0}
work=$(mktemp -d) pid= db=
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
  [ -n "$db" ] && psql "$PG_BASE/postgres" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
  if command -v redis-cli >/dev/null; then
    redis-cli -u "$REDIS_URL" --scan --pattern "licensed-load-$$:*" | xargs -r redis-cli -u "$REDIS_URL" del >/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT
go build -o "$work/licensed" ./cmd/licensed
go build -o "$work/licensed-load" ./cmd/licensed-load
L="$work/licensed"
port=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')

for shape in $SHAPES; do
  rm -rf "$work/data"
  env=(LICENSED_DATA_DIR="$work/data" LICENSED_ADDR="127.0.0.1:$port" LICENSED_RATE_LIMITS=off LICENSED_LOG_LEVEL=warn
       LICENSED_ISSUER="http://localhost:$port")
  case $shape in
    sqlite) ;;
    postgres|postgres+redis)
      db="licensed_load_$$"
      psql "$PG_BASE/postgres" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "CREATE DATABASE $db" >/dev/null
      env+=(LICENSED_DATABASE_URL="$PG_BASE/$db" LICENSED_MASTER_KEY="$(head -c32 /dev/urandom | base64)")
      if [ "$shape" = postgres+redis ]; then
        env+=(LICENSED_REDIS_URL="$REDIS_URL" LICENSED_REDIS_PREFIX="licensed-load-$$:")
      fi ;;
    *) echo "unknown shape $shape"; exit 2 ;;
  esac
  env "${env[@]}" "$L" serve 2>"$work/serve.log" & pid=$!
  for _ in $(seq 100); do curl -sf "localhost:$port/readyz" >/dev/null && break; sleep 0.1; done
  admin=$(env "${env[@]}" "$L" api-keys create --platform --name load --scopes admin | python3 -c 'import json,sys;print(json.load(sys.stdin)["key"])')
  "$work/licensed-load" -url "http://127.0.0.1:$port" -admin-key "$admin" -label "$shape" -ops "$OPS" \
    -conns "$CONNS" -duration "$DURATION" -reps "$REPS" -licenses "$LICENSES" -json "$work/$shape.json"
  kill "$pid"; wait "$pid" 2>/dev/null || true; pid=
  if [ -n "$db" ]; then psql "$PG_BASE/postgres" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null; db=; fi
done

echo
echo "Validation, req/s ÷ bare net/http in the same run (goal: ≥ 0.5 on SQLite and PostgreSQL + Redis, ≥ 0.3 on PostgreSQL alone):"
python3 - "$work" $SHAPES <<'PY'
import json, sys, os
work, shapes = sys.argv[1], sys.argv[2:]
runs = {s: json.load(open(os.path.join(work, s + ".json"))) for s in shapes}
ops = [o["name"] for o in next(iter(runs.values()))["ops"]]
print("\n| operation | " + " | ".join(shapes) + " |")
print("|---|" + "---:|" * len(shapes))
for op in ops:
    cells = []
    for s in shapes:
        o = next(x for x in runs[s]["ops"] if x["name"] == op)
        cells.append("%.3f (%.0f req/s, p50 %s, p99 %s)" % (o["ratio_to_bare"], o["rps"], o["p50"], o["p99"]))
    print("| %s | %s |" % (op, " | ".join(cells)))
print("| bare ceiling, req/s | " + " | ".join("%.0f" % runs[s]["bare_rps"] for s in shapes) + " |")
PY
