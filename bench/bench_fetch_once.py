"""Requests per URL at the demo cluster server for one crawl: how many GETs were made twice.

Builds the demo cluster, serves it with request logging, crawls it once with retries off (so every
duplicate is a double fetch, not a retry) and prints the duplicated GETs.

    PYTHONPATH=. python bench/bench_fetch_once.py [OUT_DIR]
"""

from __future__ import annotations

import collections
import contextlib
import io
import re
import sys
import tempfile
from datetime import date
from pathlib import Path

from govinspect.demo.generator import build_cluster
from govinspect.demo.server import ClusterServer
from tests.support.cli import clean_env, govinspect


def main() -> None:
    tmp = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(tempfile.mkdtemp(prefix="fetch-once-"))
    tmp.mkdir(parents=True, exist_ok=True)
    cluster = build_cluster(tmp / "cluster", as_of=date(2026, 11, 20))
    log = io.StringIO()
    with contextlib.redirect_stderr(log), ClusterServer(tmp / "cluster", max_delay=3.0, verbose=True) as server:
        result = govinspect(
            "crawl", "--registry", str(cluster.registry_path), "--store", str(tmp / "s.sqlite3"),
            "--as-of", "2026-11-20", "-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=false",
            "-s", "DOWNLOAD_TIMEOUT=15", "-s", "RETRY_TIMES=0", "-s", "RETRY_AFTER_MAX_TIMES=0",
            "-s", "PROGRESS_INTERVAL=0", "-s", "RENDER_LOOPBACK_ONLY=true",
            env=clean_env(http_proxy=server.proxy_url), timeout=900)
    requests = re.findall(r'"(GET|HEAD) (\S+) HTTP', log.getvalue())
    gets = collections.Counter(url for method, url in requests if method == "GET")
    twice = {url: n for url, n in gets.items() if n > 1}
    print(f"crawl exit {result.returncode}; {len(requests)} requests, {len(gets)} distinct GETs, "
          f"{len(twice)} fetched more than once ({sum(n - 1 for n in twice.values())} extra GETs)")
    for url, n in sorted(twice.items(), key=lambda kv: -kv[1]):
        print(f"  {n}× {url}")


if __name__ == "__main__":
    main()
