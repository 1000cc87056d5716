"""Crawl benchmark: govinspect (crawl + link inspection) vs a plain link-following Scrapy spider.

Builds a cluster of at least 20 sites and 10,000 pages, serves it on loopback through the demo proxy,
runs each crawler in its own process over the same cluster with the same concurrency, and prints
pages/s, CPU seconds per 1,000 pages, peak memory (max RSS) and the ratio.

    .venv/bin/python bench/bench_crawl.py [--sites 20] [--pages-per-site 500]
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from govinspect.demo.generator import build_cluster  # noqa: E402
from govinspect.demo.seeds import SEEDS  # noqa: E402
from govinspect.demo.server import ClusterServer  # noqa: E402

# Same concurrency for both crawlers; politeness delays off (our own loopback server).
COMMON = ["-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=false", "-s", "CONCURRENT_REQUESTS=32",
          "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=2", "-s", "DOWNLOAD_TIMEOUT=5", "-s", "RETRY_TIMES=0",
          "-s", "PROGRESS_INTERVAL=0", "-s", "LOG_LEVEL=WARNING",
          # rendering has its own benchmark (bench/bench_render.py); this one compares crawling
          "-s", "RENDER_ENABLED=false"]
# Issue 2's target is crawl + link inspection; the other inspectors have targets of their own.
LINKS_ONLY = ["-s", 'INSPECTORS={"inspectors.links.BrokenLinkInspector": 100, '
              '"inspectors.reachability.ReachabilityInspector": 110}']

# Issue 10's inspectors (availability, soft 404, hijacked links, injected content) switched off: the
# crawl's pages/s with them and without them is that issue's cost target (under 10 %).
ISSUE10 = ("inspectors.availability.AvailabilityInspector", "inspectors.soft404.Soft404Inspector",
           "inspectors.hijacked.HijackedExternalInspector", "inspectors.injected.InjectedContentInspector")


def _without(paths: tuple[str, ...]) -> list[str]:
    from settings import INSPECTORS

    return ["-s", "INSPECTORS=" + json.dumps({k: (None if k in paths else v) for k, v in INSPECTORS.items()})]


WITHOUT_ISSUE10 = _without(ISSUE10)
MODES = ("links only", "without issue 10", "all inspectors")


def measure(cmd: list[str], env: dict[str, str]) -> dict[str, float]:
    """Run one crawler process; wall time, CPU seconds and peak RSS of that process alone."""
    started = time.monotonic()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.monotonic() - started
    err = proc.stderr.read().decode("utf-8", "replace") if proc.stderr else ""
    if os.waitstatus_to_exitcode(status) not in (0, 1):
        raise SystemExit(f"{cmd[0:3]} failed:\n{err[-3000:]}")
    return {"wall": wall, "cpu": usage.ru_utime + usage.ru_stime, "maxrss_mb": usage.ru_maxrss / 1024}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sites", type=int, default=20)
    parser.add_argument("--pages-per-site", type=int, default=500)
    parser.add_argument("--max-pages", type=int, default=5000, help="govinspect page budget per site")
    parser.add_argument("--only", action="append", choices=MODES,
                        help="run only this govinspect mode (repeatable); the plain spider always runs")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="govinspect-bench-"))
    t0 = time.monotonic()
    # Without the crawler-trap seed: the plain spider has no trap protection and would crawl the
    # endless calendar forever. Everything else (problems, encodings, attachments) is in.
    cluster = build_cluster(work / "cluster", sites=args.sites, pages_per_site=args.pages_per_site,
                            hang_seconds=1.0, seed_names=[s for s in SEEDS if s != "traps"])
    print(f"cluster: {len(cluster.sites)} sites, {cluster.page_count} pages, built in {time.monotonic() - t0:.1f}s")
    with ClusterServer(work / "cluster") as server:
        env = {k: v for k, v in os.environ.items() if k.lower() not in ("no_proxy",)}
        env["http_proxy"] = env["HTTP_PROXY"] = server.proxy_url
        plain_out = work / "plain.json"
        plain = measure([sys.executable, str(ROOT / "bench" / "plain_spider.py"), str(cluster.registry_path),
                         str(plain_out)], env)
        plain["pages"] = json.loads(plain_out.read_text())["pages"]
        runs = {"plain scrapy": plain}
        for label, extra in (("links only", LINKS_ONLY), ("without issue 10", WITHOUT_ISSUE10),
                             ("all inspectors", [])):
            if args.only and label not in args.only:
                continue
            store = work / f"store-{len(runs)}.sqlite3"
            r = measure([sys.executable, "-m", "govinspect.cli", "crawl", "--registry", str(cluster.registry_path),
                         "--store", str(store), "--max-pages", str(args.max_pages), *COMMON, *extra], env)
            db = sqlite3.connect(store)
            r["pages"] = db.execute("SELECT SUM(pages) FROM run_sites").fetchone()[0] or 0
            r["checks"] = db.execute("SELECT COUNT(*) FROM link_checks").fetchone()[0]
            r["findings"] = db.execute("SELECT COUNT(*) FROM findings").fetchone()[0]
            runs[f"govinspect, {label}"] = r
    print(f"{'crawler':<28}{'pages':>8}{'wall s':>9}{'pages/s':>9}{'CPU s/1k pages':>16}{'peak RSS MB':>13}")
    for name, r in runs.items():
        r["rate"] = r["pages"] / r["wall"]
        print(f"{name:<28}{r['pages']:>8}{r['wall']:>9.1f}{r['rate']:>9.1f}"
              f"{1000 * r['cpu'] / max(r['pages'], 1):>16.2f}{r['maxrss_mb']:>13.0f}")
    for name, r in runs.items():
        if name != "plain scrapy":
            print(f"{name}: pages/s ratio to plain {r['rate'] / plain['rate']:.2f}, CPU ratio "
                  f"{plain['cpu'] / plain['pages'] / (r['cpu'] / max(r['pages'], 1)):.2f}"
                  f" ({r['checks']} link targets judged, {r['findings']} findings)")


if __name__ == "__main__":
    main()
