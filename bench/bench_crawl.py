"""Crawl benchmark: govinspect (crawl + link inspection) vs a plain link-following Scrapy spider.

Builds a cluster of at least 20 sites and 10,000 pages, serves it on loopback through the demo proxy,
runs each crawler in its own process over the same cluster with the same concurrency, and prints
pages/s, CPU seconds per 1,000 pages, peak memory (max RSS) and the ratio.

    .venv/bin/python bench/bench_crawl.py [--sites 20] [--pages-per-site 500] [--only MODE ...] [--no-plain]

Modes: links only; without issue 10 (all eight issue-10 inspectors
off); all inspectors. The last line compares the last two (issue 10's target: under 10 % cost).
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
# Issue 10's inspectors switched off (availability, soft 404, hijacked links, injected content,
# interaction, coordination, page meta, site marks): the crawl's cost with and without them is that
# issue's target (under 10 %).
ISSUE10 = ("inspectors.availability.AvailabilityInspector", "inspectors.soft404.Soft404Inspector",
           "inspectors.hijacked.HijackedExternalInspector", "inspectors.injected.InjectedContentInspector")
ISSUE10_SWITCHES = ["-s", "INSPECT_INTERACTION_ENABLED=false", "-s", "INSPECT_POLICY_REPOST_ENABLED=false",
                    "-s", "INSPECT_META_TAGS_ENABLED=false", "-s", "INSPECT_SITE_IDENTITY_ENABLED=false"]


def _without(paths: tuple[str, ...]) -> list[str]:
    from settings import INSPECTORS

    return ["-s", "INSPECTORS=" + json.dumps({k: (None if k in paths else v) for k, v in INSPECTORS.items()})]


WITHOUT_ISSUE10 = _without(ISSUE10) + ISSUE10_SWITCHES
MODES = (("links only", LINKS_ONLY), ("without issue 10", WITHOUT_ISSUE10), ("all inspectors", []))


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
    parser.add_argument("--only", choices=[m for m, _ in MODES], action="append",
                        help="run only these govinspect modes (repeatable)")
    parser.add_argument("--no-plain", action="store_true", help="skip the plain Scrapy spider")
    parser.add_argument("--repeat", type=int, default=1, help="run the govinspect modes this many times, "
                        "interleaved; the median CPU per page stands (a loaded machine drifts)")
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
        runs: dict[str, dict] = {}
        trials: dict[str, list[dict]] = {}
        if not args.no_plain:
            plain_out = work / "plain.json"
            plain = measure([sys.executable, str(ROOT / "bench" / "plain_spider.py"), str(cluster.registry_path),
                             str(plain_out)], env)
            plain["pages"] = json.loads(plain_out.read_text())["pages"]
            runs["plain scrapy"] = plain
        selected = [(label, extra) for label, extra in MODES if not args.only or label in args.only]
        for label, extra in selected * args.repeat:  # interleaved: A B A B, so load drifts hit both
            store = work / f"store-{sum(map(len, trials.values()))}.sqlite3"
            r = measure([sys.executable, "-m", "govinspect.cli", "crawl", "--registry", str(cluster.registry_path),
                         "--store", str(store), "--max-pages", str(args.max_pages), *COMMON, *extra], env)
            db = sqlite3.connect(store)
            r["pages"] = db.execute("SELECT SUM(pages) FROM run_sites").fetchone()[0] or 0
            r["checks"] = db.execute("SELECT COUNT(*) FROM link_checks").fetchone()[0]
            r["findings"] = db.execute("SELECT COUNT(*) FROM findings").fetchone()[0]
            trials.setdefault(f"govinspect, {label}", []).append(r)
        for name, rs in trials.items():  # the run with the median CPU per page stands for its mode
            runs[name] = sorted(rs, key=lambda r: r["cpu"] / max(r["pages"], 1))[len(rs) // 2]
            if len(rs) > 1:
                print(f"{name}: CPU s/1k pages per trial "
                      + ", ".join(f"{1000 * r['cpu'] / max(r['pages'], 1):.2f}" for r in rs))
    print(f"{'crawler':<28}{'pages':>8}{'wall s':>9}{'pages/s':>9}{'CPU s/1k pages':>16}{'peak RSS MB':>13}")
    for name, r in runs.items():
        r["rate"] = r["pages"] / r["wall"]
        print(f"{name:<28}{r['pages']:>8}{r['wall']:>9.1f}{r['rate']:>9.1f}"
              f"{1000 * r['cpu'] / max(r['pages'], 1):>16.2f}{r['maxrss_mb']:>13.0f}")
    plain = runs.get("plain scrapy")
    for name, r in runs.items():
        if name != "plain scrapy" and plain:
            print(f"{name}: pages/s ratio to plain {r['rate'] / plain['rate']:.2f}, CPU ratio "
                  f"{plain['cpu'] / plain['pages'] / (r['cpu'] / max(r['pages'], 1)):.2f}"
                  f" ({r['checks']} link targets judged, {r['findings']} findings)")
    without, with_ = runs.get("govinspect, without issue 10"), runs.get("govinspect, all inspectors")
    if without and with_:
        cpu_without = without["cpu"] / max(without["pages"], 1)
        cpu_with = with_["cpu"] / max(with_["pages"], 1)
        print(f"issue-10 inspectors: {with_['rate']:.1f} vs {without['rate']:.1f} pages/s "
              f"({100 * (1 - with_['rate'] / without['rate']):+.1f} % throughput cost), CPU per page "
              f"{100 * (cpu_with / cpu_without - 1):+.1f} % (target: under 10 %)")


if __name__ == "__main__":
    main()
