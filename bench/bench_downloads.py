"""Issue 9's yardstick: govinspect vs a plain Scrapy spider making the same downloads, side by side.

Builds a cluster (default 24 sites, ~3,000 pages, with attachments, images and script-built pages;
one site registered ``render=always``, the city portal ``render=auto``), serves it on loopback
through the demo proxy, and runs, each in its own process with the same politeness settings:

* ``bench/same_downloads_spider.py``: pages by GET, same-site images and attachments by GET, other
  targets by HEAD, nothing inspected;
* ``govinspect crawl`` with rendering on, then with ``RENDER_ENABLED=false``.

Prints wall time and CPU seconds (the whole process tree: the crawler, the Playwright driver and
Chromium, orphans included: ``bench/tree_cpu.py``) and both ratios. Targets (issue 9): rendering on ≤ 1.3×
wall and ≤ 3× CPU; rendering off ≤ 1.1× wall and ≤ 1.3× CPU.

    .venv/bin/python bench/bench_downloads.py [--sites 24] [--pages-per-site 125] [--repeat 1]
        [--set NAME=VALUE ...]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tree_cpu import CountedRun  # noqa: E402  (same folder)

from govinspect.demo.generator import build_cluster  # noqa: E402
from govinspect.demo.seeds import SEEDS  # noqa: E402
from govinspect.demo.server import ClusterServer  # noqa: E402

COMMON = ["-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=false", "-s", "CONCURRENT_REQUESTS=32",
          "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=2", "-s", "DOWNLOAD_TIMEOUT=5", "-s", "RETRY_TIMES=0",
          "-s", "PROGRESS_INTERVAL=0", "-s", "LOG_LEVEL=WARNING", "-s", "RENDER_LOOPBACK_ONLY=true"]


def run(cmd: list[str], env: dict[str, str]) -> dict[str, float]:
    """Wall time and CPU seconds of a process and every process it started (``tree_cpu``)."""
    with tempfile.TemporaryFile() as err_file:
        code, wall, cpu = CountedRun(cmd, env=env, stdout=subprocess.DEVNULL, stderr=err_file).wait()
        err_file.seek(0)
        err = err_file.read().decode("utf-8", "replace")
    if code not in (0, 1):
        raise SystemExit(f"{cmd[:4]} failed:\n{err[-3000:]}")
    return {"wall": wall, "cpu": cpu}


def register_one_always(registry: Path) -> str:
    """The first department site renders every page; the rest keep the generator's choice."""
    rows = list(csv.DictReader(registry.open(encoding="utf-8")))
    chosen = next(r for r in rows if r["level"] == "department")
    chosen["render"] = "always"
    with registry.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return chosen["id"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sites", type=int, default=24)
    parser.add_argument("--pages-per-site", type=int, default=125)
    parser.add_argument("--repeat", type=int, default=1, help="runs of each crawler; medians are shown")
    parser.add_argument("--rendering-off-only", action="store_true",
                        help="skip the run with rendering on (the browser's cost has its own work)")
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                        help="a setting for govinspect's crawls (e.g. RENDER_BROWSER_PATH=/usr/bin/chromium)")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="govinspect-bench-dl-"))
    cluster = build_cluster(work / "cluster", sites=args.sites, pages_per_site=args.pages_per_site,
                            hang_seconds=1.0, seed_names=[s for s in SEEDS if s != "traps"])
    always = register_one_always(cluster.registry_path)
    print(f"cluster: {len(cluster.sites)} sites, {cluster.page_count} pages; site {always} render=always")
    runs: dict[str, list[dict[str, float]]] = {"plain, same downloads": [], "govinspect, rendering on": [],
                                               "govinspect, rendering off": []}
    with ClusterServer(work / "cluster") as server:
        env = {k: v for k, v in os.environ.items() if k.lower() != "no_proxy"}
        env["http_proxy"] = env["HTTP_PROXY"] = server.proxy_url
        for i in range(args.repeat):
            out = work / f"plain-{i}.json"
            r = run([sys.executable, str(ROOT / "bench" / "same_downloads_spider.py"), str(cluster.registry_path),
                     str(out)], env)
            r.update(json.loads(out.read_text()))
            runs["plain, same downloads"].append(r)
            modes = [("govinspect, rendering on", []), ("govinspect, rendering off", ["-s", "RENDER_ENABLED=false"])]
            for label, extra in modes[1:] if args.rendering_off_only else modes:
                store = work / f"store-{label[-3:].strip()}-{i}.sqlite3"
                r = run([sys.executable, "-m", "govinspect.cli", "crawl", "--registry", str(cluster.registry_path),
                         "--store", str(store), *COMMON, *extra,
                         *[arg for setting in args.set for arg in ("-s", setting)]], env)
                db = sqlite3.connect(store)
                r["pages"] = db.execute("SELECT SUM(pages) FROM run_sites").fetchone()[0] or 0
                db.close()
                runs[label].append(r)
    med = {name: {k: statistics.median(x[k] for x in rs) for k in ("wall", "cpu", "pages")}
           for name, rs in runs.items() if rs}
    base = med["plain, same downloads"]
    print(f"{'crawler':<28}{'pages':>8}{'wall s':>9}{'CPU s':>9}{'wall ×':>9}{'CPU ×':>9}")
    for name, m in med.items():
        print(f"{name:<28}{m['pages']:>8.0f}{m['wall']:>9.1f}{m['cpu']:>9.1f}"
              f"{m['wall'] / base['wall']:>9.2f}{m['cpu'] / base['cpu']:>9.2f}")
    print("targets: rendering on ≤ 1.3× wall, ≤ 3× CPU; rendering off ≤ 1.1× wall, ≤ 1.3× CPU")


if __name__ == "__main__":
    main()
