"""Hostile-page benchmark (issue 11, item 6): inspection time of pages with very many links.

Every per-page inspector runs over one page with N links in a flat block (the shape that made
``inspectors/freshness.py`` quadratic: 20k links took 16 s). Linear inspection shows as constant
µs/link across N. Figures are noisy on a shared machine.

    .venv/bin/python bench/bench_hostile.py [--links 2000,20000,100000]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scrapy.utils.test import get_crawler  # noqa: E402

from inspectors.base import InspectorManager  # noqa: E402
from tests.inspectors.helpers import make_page  # noqa: E402


def hostile_page(n: int):
    links = "".join(f'<a href="/list/{i}.html">条目{i}</a> ' for i in range(n))
    return make_page(f"<div>{links}</div>", url="http://www.example-city.gov.cn/")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--links", default="2000,20000,100000")
    args = parser.parse_args()
    sys.setrecursionlimit(10000)
    project = __import__("settings")  # the declared settings: inspectors read them without defaults
    crawler = get_crawler(settings_dict={k: getattr(project, k) for k in dir(project) if k.isupper()})
    manager = InspectorManager.from_crawler(crawler)
    for n in (int(x) for x in args.links.split(",")):
        page = hostile_page(n)
        per = {}
        for inspector in manager.inspectors:
            started = time.perf_counter()
            for _ in manager._guard(inspector, "page", page.url, inspector.inspect_page(page)):
                pass
            per[type(inspector).__name__] = time.perf_counter() - started
        total = sum(per.values())
        slowest = max(per, key=per.get)
        print(f"{n:>7} links: all inspectors {total:7.2f} s ({total / n * 1e6:6.1f} µs/link); "
              f"slowest {slowest} {per[slowest]:.2f} s")


if __name__ == "__main__":
    main()
