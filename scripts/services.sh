#!/usr/bin/env bash
# Start/stop the services the tests talk to: Redis (Debian redis-server) on a private loopback port,
# a throw-away PostgreSQL cluster (scripts/postgres.sh, port 5439), Elasticsearch and OpenSearch
# (scripts/engines.sh). Writes .services.env with the URLs for pytest.
#
#   scripts/services.sh start|stop
#
# GOVINSPECT_SKIP_ENGINES=1 skips the search engines (their tests then skip, saying so).
set -euo pipefail
cd "$(dirname "$0")/.."
RUN_DIR="${GOVINSPECT_SERVICES_DIR:-/tmp/govinspect-services}"
REDIS_PORT="${GOVINSPECT_TEST_REDIS_PORT:-6390}"
ENV_FILE=.services.env
mkdir -p "$RUN_DIR"

start_redis() {
  if redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1; then return 0; fi
  redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no --daemonize yes \
    --pidfile "$RUN_DIR/redis.pid" --logfile "$RUN_DIR/redis.log" --dir "$RUN_DIR"
  for _ in $(seq 50); do redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && return 0; sleep 0.1; done
  echo "services.sh: redis did not start; see $RUN_DIR/redis.log" >&2
  return 1
}

case "${1:-}" in
  start)
    start_redis
    {
      echo "export GOVINSPECT_TEST_REDIS_URL=redis://127.0.0.1:$REDIS_PORT/0"
    } > "$ENV_FILE"
    GOVINSPECT_SERVICES_DIR="$RUN_DIR" bash scripts/postgres.sh start
    echo "export GOVINSPECT_TEST_PG_URL=$(bash scripts/postgres.sh url)" >> "$ENV_FILE"
    if [ "${GOVINSPECT_SKIP_ENGINES:-0}" != 1 ]; then
      # One after the other: on 2 cores two JVMs starting at once are slower than in turn.
      for engine in es opensearch; do
        if ! bash scripts/engines.sh start "$engine"; then
          echo "services.sh: $engine failed to start" >&2
          exit 1
        fi
      done
      echo "export GOVINSPECT_TEST_ES_URL=$(bash scripts/engines.sh url es)" >> "$ENV_FILE"
      echo "export GOVINSPECT_TEST_OPENSEARCH_URL=$(bash scripts/engines.sh url opensearch)" >> "$ENV_FILE"
    else
      echo "export GOVINSPECT_SKIP_ENGINES=1" >> "$ENV_FILE"
    fi
    ;;
  stop)
    if [ -f "$RUN_DIR/redis.pid" ]; then kill "$(cat "$RUN_DIR/redis.pid")" 2>/dev/null || true; fi
    GOVINSPECT_SERVICES_DIR="$RUN_DIR" bash scripts/postgres.sh stop || true
    if [ "${GOVINSPECT_SKIP_ENGINES:-0}" != 1 ]; then
      bash scripts/engines.sh stop es || true
      bash scripts/engines.sh stop opensearch || true
    fi
    ;;
  *)
    echo "usage: scripts/services.sh start|stop" >&2
    exit 2
    ;;
esac
