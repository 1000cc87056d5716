"""Peak memory of a 10,000-page crawl with rendering (issue 9: PSS < 1.5 GiB, browser included).

Builds a generated cluster (default 24 sites × 400 pages ≈ 10,000 pages) where 10 % of pages need
JavaScript (``bench/render_cluster.py``), registers every site ``render=auto`` and one department
site ``render=always``, serves it on loopback and crawls it once with all inspectors. Every 250 ms
the PSS of the whole process tree (the crawler, the Playwright driver and every Chromium process)
is summed from ``/proc/<pid>/smaps_rollup``; the peak is printed with the crawl's figures.

    .venv/bin/python bench/bench_render_memory.py [--sites 24] [--pages-per-site 400] [--share 0.1]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

from render_cluster import build, crawl, load, proxied_env, registry_with  # same folder: run as a script

from govinspect.demo.server import ClusterServer

TARGET_MIB = 1536


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sites", type=int, default=24)
    parser.add_argument("--pages-per-site", type=int, default=400)
    parser.add_argument("--share", type=float, default=0.1, help="share of article pages built by script")
    parser.add_argument("--always", type=int, default=1, help="department sites registered render=always")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-render-mem-") as tmp:
        work = Path(tmp)
        cluster, turned = build(work, args.sites, args.pages_per_site, args.share)
        print(f"cluster: {len(cluster.sites)} sites, {cluster.page_count} pages, {turned} built by script; "
              f"render=auto, {args.always} site(s) render=always", flush=True)
        with ClusterServer(work / "cluster") as server:
            env = proxied_env(server.proxy_url)
            registry = registry_with(cluster.registry_path, work / "registry.csv", "auto", always=args.always)
            r = crawl(registry, work / "findings.sqlite3", env)
    print(json.dumps({**r, "load": load()}, ensure_ascii=False, indent=1))
    print(f"peak PSS {r['peak_pss_mib']} MiB over {r['pages']} pages ({r['stats'].get('renders', 0)} renders); "
          f"target < {TARGET_MIB} MiB")
    return 0 if r["peak_pss_mib"] < TARGET_MIB else 1


if __name__ == "__main__":
    sys.exit(main())
