"""``render=auto`` vs ``render=never`` on a cluster where 10 % of pages need JavaScript (issue 9).

Builds a generated cluster (default 24 sites, ~3,000 pages), turns every tenth article page into a
script-built page (``bench/render_cluster.py``: its text is written by an inline script), serves it on
loopback through the demo proxy and crawls it, in alternating subprocesses, with every site
``render=never`` and with every site ``render=auto``. ``auto`` fetches each page statically, follows
its links at once, and re-renders in Chromium the homepages and the pages that look script-built.

Prints pages/s of each mode, the ratio (target: auto ≥ 0.7× never), renders done, CPU seconds and
peak PSS of the process tree. Wall-clock figures on a shared machine measure the neighbours too:
the load average is printed with them.

    .venv/bin/python bench/bench_render_auto.py [--sites 24] [--pages-per-site 125] [--share 0.1] [--repeat 1]
        [--set RENDER_MAX_PAGES=8 ...]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from pathlib import Path

from render_cluster import build, crawl, load, proxied_env, registry_with  # same folder: run as a script

from govinspect.demo.server import ClusterServer


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sites", type=int, default=24)
    parser.add_argument("--pages-per-site", type=int, default=125)
    parser.add_argument("--share", type=float, default=0.1, help="share of article pages built by script")
    parser.add_argument("--repeat", type=int, default=1, help="crawl pairs (never, auto); medians reported")
    parser.add_argument("--json", action="store_true", help="print every run as JSON too")
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                        help="a setting for both crawls (e.g. RENDER_MAX_PAGES=8); repeatable")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-render-auto-") as tmp:
        work = Path(tmp)
        cluster, turned = build(work, args.sites, args.pages_per_site, args.share)
        print(f"cluster: {len(cluster.sites)} sites, {cluster.page_count} pages, {turned} built by script "
              f"({turned / cluster.page_count:.1%})")
        runs: dict[str, list[dict]] = {"never": [], "auto": []}
        with ClusterServer(work / "cluster") as server:
            env = proxied_env(server.proxy_url)
            for i in range(args.repeat):  # alternate, so a busy neighbour hurts both modes alike
                for mode in ("never", "auto"):
                    run_dir = work / f"{mode}-{i}"
                    run_dir.mkdir()
                    registry = registry_with(cluster.registry_path, run_dir / "registry.csv", mode)
                    r = crawl(registry, run_dir / "findings.sqlite3", env,
                              [arg for setting in args.set for arg in ("-s", setting)])
                    r["load"] = load()
                    runs[mode].append(r)
                    print(f"  {mode:<6} pages {r['pages']:>6}  {r['pages_per_s']:>6} pages/s  wall {r['wall_s']:>6} s  "
                          f"CPU {r['cpu_s']:>6} s  peak PSS {r['peak_pss_mib']:>5} MiB  "
                          f"renders {r['stats'].get('renders', 0)}  load {r['load']}", flush=True)
    never = statistics.median(r["pages_per_s"] for r in runs["never"])
    auto = statistics.median(r["pages_per_s"] for r in runs["auto"])
    pairs = [round(a["pages_per_s"] / n["pages_per_s"], 2) for n, a in zip(runs["never"], runs["auto"], strict=True)]
    print(f"render=auto vs render=never: {auto / never:.2f}× pages/s (per pair {pairs}); target ≥ 0.7×")
    if args.json:
        print(json.dumps(runs, ensure_ascii=False, indent=1))
    return 0 if auto / never >= 0.7 else 1


if __name__ == "__main__":
    sys.exit(main())
