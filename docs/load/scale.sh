#!/usr/bin/env bash
# Validation at a small and a large size, on a private PostgreSQL cluster
# of its own (so the shared server's settings stay untouched): initdb into
# $DIR, shared_buffers sized to hold what a validation reads at the large
# size (tables and indexes),
# two databases seeded by COPY (licensed-scale seed: $SMALL and $LARGE
# licenses, one in ten with a live seat), VACUUM ANALYZE on both, then
# licensed-scale compare: both warmed (pg_prewarm), ReadKey on keys drawn
# uniformly from each, alternating in short slices on the same goroutines,
# medians over rounds. The cluster is removed at the end unless KEEP=1.
#
# fsync, full_page_writes and synchronous_commit are off: this is a read
# benchmark on a throwaway cluster, and durability only slows the seeding.
#
#   docs/load/scale.sh                 # everything: start, seed, compare, stop
#   KEEP=1 docs/load/scale.sh          # keep the cluster and its databases
#   docs/load/scale.sh compare         # measure again on a kept cluster
#   CONTROL=1 docs/load/scale.sh ...   # first the small database against itself
#   docs/load/scale.sh stop            # remove a kept cluster
set -euo pipefail
cd "$(dirname "$0")/../.."
DIR=${DIR:-/var/tmp/licensed-scale-pg}
PGPORT=${PGPORT:-5499}
SHARED_BUFFERS=${SHARED_BUFFERS:-8GB} # the hot set at 10 million licenses is 5.3 GB (docs/SCALING.md)
SMALL=${SMALL:-10000}
LARGE=${LARGE:-10000000}
ACT_EVERY=${ACT_EVERY:-10}
CONNS=${CONNS:-4}
ROUNDS=${ROUNDS:-7}
SAMPLES=${SAMPLES:-40000}
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
URL="postgres://postgres@127.0.0.1:$PGPORT"
BIN="$DIR/licensed-scale"
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
psql_() { psql -X -q -v ON_ERROR_STOP=1 "$URL/$1" "${@:2}"; }

start() {
  mkdir -p "$DIR"
  [ "$(id -u)" = 0 ] && chown postgres "$DIR"
  as_pg "$PGBIN/initdb" -D "$DIR/data" -U postgres --auth=trust >/dev/null
  cat >>"$DIR/data/postgresql.conf" <<CONF
port = $PGPORT
listen_addresses = '127.0.0.1'
unix_socket_directories = '$DIR'
shared_buffers = $SHARED_BUFFERS
max_connections = 50
fsync = off
full_page_writes = off
synchronous_commit = off
wal_level = minimal
max_wal_senders = 0
max_wal_size = 16GB
checkpoint_timeout = 30min
maintenance_work_mem = 512MB
CONF
  as_pg "$PGBIN/pg_ctl" -D "$DIR/data" -l "$DIR/server.log" -w start >/dev/null
  go build -o "$BIN" ./cmd/licensed-scale
}

seed() {
  for db in small large; do psql_ postgres -c "CREATE DATABASE scale_$db"; done
  "$BIN" seed -postgres "$URL/scale_small" -licenses "$SMALL" -activations $((SMALL / ACT_EVERY))
  nice -n 10 "$BIN" seed -postgres "$URL/scale_large" -licenses "$LARGE" -activations $((LARGE / ACT_EVERY))
  for db in small large; do psql_ "scale_$db" -c "VACUUM ANALYZE"; done
}

compare() {
  [ -x "$BIN" ] || go build -o "$BIN" ./cmd/licensed-scale
  echo "shared_buffers $(psql_ postgres -Atc 'SHOW shared_buffers'); load average: $(cut -d' ' -f1-3 /proc/loadavg)"
  if [ "${CONTROL:-0}" = 1 ]; then
    echo "control: the small database against itself (the noise floor of a ratio)"
    "$BIN" compare -small "$URL/scale_small" -large "$URL/scale_small" -conns "$CONNS" -rounds "$ROUNDS" -samples "$SAMPLES"
  fi
  "$BIN" compare -small "$URL/scale_small" -large "$URL/scale_large" -conns "$CONNS" -rounds "$ROUNDS" -samples "$SAMPLES"
  echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
}

stop() {
  if [ -f "$DIR/data/postmaster.pid" ]; then as_pg "$PGBIN/pg_ctl" -D "$DIR/data" -m fast -w stop >/dev/null; fi
  rm -rf "$DIR"
}

case "${1:-all}" in
  start) start ;;
  seed) seed ;;
  compare) compare ;;
  stop) stop ;;
  all)
    [ "${KEEP:-0}" = 1 ] || trap stop EXIT
    start; seed; compare ;;
  *) echo "usage: $0 [all|start|seed|compare|stop]" >&2; exit 2 ;;
esac
