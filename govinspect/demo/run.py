"""``govinspect demo``: build the bundled cluster, serve it on loopback as a proxy, crawl, export.

Every byte stays on 127.0.0.1: the crawl reaches realistic host names (``www.example-city.gov.cn``)
through ``http_proxy`` pointing at the loopback cluster server, exactly as a government network
reaches the internet through its proxy.
"""

from __future__ import annotations

import argparse
import io
import os
import sys
import time
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit

from govinspect.registry import load_registry

# The demo server is ours and on loopback: a lighter politeness than for real government servers,
# and a short timeout so the one seeded hanging link does not hold the demo for 45 s.
DEMO_SETTINGS = {
    "DOWNLOAD_DELAY": 0.02,
    "AUTOTHROTTLE_START_DELAY": 0.05,
    "AUTOTHROTTLE_TARGET_CONCURRENCY": 2.0,
    "DOWNLOAD_TIMEOUT": 5,
    "PROGRESS_INTERVAL": 5.0,
    # a newcomer sees the live progress line, the summary and warnings, not Scrapy's INFO chatter
    "LOG_LEVEL": "WARNING",
    # the city portal renders; everything the browser may reach is on loopback
    "RENDER_LOOPBACK_ONLY": True,
    "RECTIFY_ISSUER": "示例市人民政府办公室",  # the office named on the demo's lists and report
}


def _probe(registry_path: Path, settings) -> None:
    """A few fast availability probes of every homepage before the crawl (site.availability-low)."""
    from govinspect.demo.seeds.probes import DEMO_PROBE_ROUNDS
    from govinspect.probing import probe_command

    print(f"probing every homepage {DEMO_PROBE_ROUNDS} times", file=sys.stderr)
    settings = settings.copy()
    settings.set("PROBE_TIMEOUT", min(settings.getfloat("PROBE_TIMEOUT"), 3.0), priority="cmdline")
    probe_command(load_registry(registry_path), settings, DEMO_PROBE_ROUNDS, 0.1, out=io.StringIO())
def proxy_env(proxy_url: str, env) -> dict[str, str]:
    """The demo's proxy variables: the cluster through the loopback proxy, a configured search engine
    (``GOVINSPECT_ES_URL``) reached directly (the demo proxy serves the cluster only)."""
    out = {"http_proxy": proxy_url, "HTTP_PROXY": proxy_url}
    direct = []
    for name in ("GOVINSPECT_ES_URL", "ELASTICSEARCH_URL"):
        url = env.get(name)
        if url:
            host = urlsplit(url if "://" in url else "http://" + url).hostname
            if host and host not in direct:
                direct.append(host)
    if direct:
        out["no_proxy"] = out["NO_PROXY"] = ",".join(direct)
    return out


def cmd_demo(args: argparse.Namespace) -> int:
    from govinspect.api import run_crawl
    from govinspect.config import build_settings
    from govinspect.demo.generator import build_cluster
    from govinspect.demo.server import ClusterServer
    from govinspect.export import export
    from govinspect.report import print_summary
    from govinspect.store import FindingStore

    out = Path(args.out).resolve()
    as_of = date.fromisoformat(args.as_of) if args.as_of else date.today()  # ValueError: exit 2
    started = time.monotonic()
    cluster = build_cluster(out / "cluster", as_of=as_of, hang_seconds=8.0)
    print(f"demo cluster: {len(cluster.sites)} sites, {cluster.page_count} pages in {out / 'cluster'}"
          f" ({time.monotonic() - started:.1f}s)", file=sys.stderr)
    store_path = Path(args.store) if args.store else out / "findings.sqlite3"
    extra = {**DEMO_SETTINGS, "GOVINSPECT_STORE": str(store_path)}
    saved = {k: os.environ.get(k) for k in ("http_proxy", "HTTP_PROXY", "no_proxy", "NO_PROXY")}
    with ClusterServer(out / "cluster") as server:
        for key in ("no_proxy", "NO_PROXY"):
            os.environ.pop(key, None)
        os.environ.update(proxy_env(server.proxy_url, os.environ))
        print(f"serving the cluster through the loopback proxy {server.proxy_url}", file=sys.stderr)
        try:
            settings = build_settings(args.settings_file, args.set, extra)
            _probe(cluster.registry_path, settings)
            result = run_crawl(load_registry(cluster.registry_path), settings, as_of, max_pages=args.max_pages)
            code = 0 if result.completed else 1
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value
    store = FindingStore.from_settings(settings)
    print_summary(store, result.run_id, sys.stdout)
    for fmt in ("jsonl", "csv", "xlsx"):
        path = out / f"findings.{fmt}"
        count = export(store.findings(), fmt, path)
        print(f"wrote {count} findings to {path}", file=sys.stderr)
    store.close()
    from govinspect.rectify.demo import run_from_demo  # lists, a fix and its re-check, the monthly report

    code = max(code, run_from_demo(args, out, cluster, extra))
    print(f"demo finished in {time.monotonic() - started:.0f}s", file=sys.stderr)
    return code
