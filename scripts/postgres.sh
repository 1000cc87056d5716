#!/usr/bin/env bash
# A throw-away PostgreSQL cluster (Debian's `postgresql` binaries) on a private loopback port, for
# govinspect's tests and for developers trying the database backend.
#
#   scripts/postgres.sh start|stop|status|url
#
# start  initdb in $DIR/data (once), start it on 127.0.0.1:$PORT (TCP only, trust auth on loopback,
#        C collation), create the database; prints nothing, `url` prints the URL.
# stop   stop the server and delete the cluster (it is throw-away).
#
# PostgreSQL refuses to run as root: as root (CI) the cluster belongs to the Debian package's
# `postgres` system user and every server command runs under `runuser -u postgres`.
set -euo pipefail

PORT="${GOVINSPECT_TEST_PG_PORT:-5439}"
DIR="${GOVINSPECT_PG_DIR:-${GOVINSPECT_SERVICES_DIR:-/tmp/govinspect-services}/postgres}"
DB="${GOVINSPECT_TEST_PG_DB:-govinspect_test}"
SUPERUSER=govinspect
PGUSER_OS="${GOVINSPECT_PG_OS_USER:-postgres}"

log() { echo "postgres.sh: $*" >&2; }
is_root() { [ "$(id -u)" = 0 ]; }

bindir() {  # the newest installed major version: /usr/lib/postgresql/<ver>/bin
  local d
  d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
  if [ -z "$d" ] || [ ! -x "$d/initdb" ]; then
    log "no PostgreSQL server binaries under /usr/lib/postgresql (apt-get install postgresql)"
    return 1
  fi
  echo "$d"
}

as_owner() {  # run a server command as the cluster's owner
  if is_root; then runuser -u "$PGUSER_OS" -- "$@"; else "$@"; fi
}

ready() { "$BIN/pg_isready" -q -h 127.0.0.1 -p "$PORT" >/dev/null 2>&1; }

url() { echo "postgresql://$SUPERUSER@127.0.0.1:$PORT/$DB"; }

start() {
  if ready; then
    ensure_db
    return 0
  fi
  if is_root && ! id "$PGUSER_OS" >/dev/null 2>&1; then
    useradd --system --no-create-home --shell /usr/sbin/nologin "$PGUSER_OS"
  fi
  mkdir -p "$DIR"
  if is_root; then chown "$PGUSER_OS" "$DIR"; fi
  if [ ! -f "$DIR/data/PG_VERSION" ]; then
    # --no-locale: byte-order text comparison, as in SQLite; --no-sync: throw-away cluster.
    as_owner "$BIN/initdb" -D "$DIR/data" -U "$SUPERUSER" --auth=trust --no-locale -E UTF8 --no-sync \
      >"$DIR/initdb.log" 2>&1 || { log "initdb failed; see $DIR/initdb.log"; cat "$DIR/initdb.log" >&2; return 1; }
  fi
  # TCP on loopback only, no Unix socket (its default directory is not ours to write).
  # fsync=off is safe for a killed server (the kernel keeps what was written), not for a power cut.
  as_owner "$BIN/pg_ctl" -D "$DIR/data" -l "$DIR/server.log" -w -t 60 \
    -o "-p $PORT -c listen_addresses=127.0.0.1 -c unix_socket_directories='' -c fsync=off -c max_connections=200" \
    start >/dev/null || { log "server did not start; see $DIR/server.log"; tail -20 "$DIR/server.log" >&2; return 1; }
  for _ in $(seq 100); do ready && break; sleep 0.1; done
  ready || { log "server not answering on port $PORT"; return 1; }
  ensure_db
}

ensure_db() {
  local exists
  exists=$("$BIN/psql" -h 127.0.0.1 -p "$PORT" -U "$SUPERUSER" -d postgres -tAc \
    "SELECT 1 FROM pg_database WHERE datname='$DB'")
  if [ "$exists" != 1 ]; then
    "$BIN/psql" -h 127.0.0.1 -p "$PORT" -U "$SUPERUSER" -d postgres -qc "CREATE DATABASE $DB" >/dev/null
  fi
}

stop() {
  if [ -f "$DIR/data/postmaster.pid" ]; then
    as_owner "$BIN/pg_ctl" -D "$DIR/data" -m fast -w stop >/dev/null 2>&1 || true
  fi
  rm -rf "$DIR"
}

BIN=$(bindir)
case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) ready && echo "running on 127.0.0.1:$PORT" || { echo "not running"; exit 1; } ;;
  url) url ;;
  *) echo "usage: scripts/postgres.sh start|stop|status|url" >&2; exit 2 ;;
esac
