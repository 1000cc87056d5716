#!/usr/bin/env bash
# Install the Debian packages govinspect's tests need (Redis, PostgreSQL, Chromium, a CJK font,
# unzip/curl for the search engines) when they are missing. Needs root (CI runs as root); a no-op
# when all are present.
# `system-deps.sh demo` installs only what `make demo` uses: Chromium (the rendered portal, evidence
# screenshots, image checks in the browser) and the CJK font that makes Chinese readable in them.
set -euo pipefail
need=()
# the crawl renders in the headless shell (RENDER_BROWSER_PATH); the full browser is not needed
[ -x /usr/bin/chromium-headless-shell ] || need+=(chromium-headless-shell)
[ -e /usr/share/fonts/truetype/wqy/wqy-zenhei.ttc ] || need+=(fonts-wqy-zenhei)
if [ "${1:-all}" != demo ]; then
  command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
  # PostgreSQL server binaries live in /usr/lib/postgresql/<version>/bin (not on PATH).
  ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
  command -v unzip >/dev/null 2>&1 || need+=(unzip)
  command -v curl >/dev/null 2>&1 || need+=(curl)
  command -v mvn >/dev/null 2>&1 || need+=(maven)
fi
if [ ${#need[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" != 0 ]; then
  echo "system-deps.sh: missing Debian packages: ${need[*]} (run as root: apt-get install ${need[*]})" >&2
  exit 1
fi
echo "system-deps.sh: installing ${need[*]}" >&2
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
