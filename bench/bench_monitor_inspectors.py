"""Per-page cost of issue 10's inspectors (availability, soft 404, hijacked links, injected content).

The same generated government pages as ``bench_inspectors.py`` (every tenth with a hidden gambling
block); timing covers ``inspect_page`` and ``wanted_fetches`` (what the crawl calls per page), not
parsing. Less noisy than a whole crawl on a busy machine; ``bench_crawl.py --only "without issue 10"
--only "all inspectors"`` gives the crawl-level figure.

    .venv/bin/python bench/bench_monitor_inspectors.py [--pages 2000]
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.bench_inspectors import page_html  # noqa: E402
from govinspect.vocabulary import Fetched  # noqa: E402
from inspectors.availability import AvailabilityInspector  # noqa: E402
from inspectors.hijacked import HijackedExternalInspector  # noqa: E402
from inspectors.injected import InjectedContentInspector  # noqa: E402
from inspectors.soft404 import PURPOSE as SOFT404_PURPOSE  # noqa: E402
from inspectors.soft404 import Soft404Inspector  # noqa: E402
from tests.inspectors.helpers import CITY, make_inspector, make_page, run_context  # noqa: E402

ERROR_URL = "http://www.example-city.gov.cn/govinspect-x/page-that-does-not-exist-x.html"

INSPECTORS = [AvailabilityInspector, Soft404Inspector, HijackedExternalInspector, InjectedContentInspector]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pages", type=int, default=2000)
    args = parser.parse_args()
    rng = random.Random(1)
    pages = [make_page(page_html(rng, n), url=f"http://www.example-city.gov.cn/col{n % 12}/t{n}.html")
             for n in range(args.pages)]
    print(f"{args.pages} pages, {sum(len(p.text) for p in pages) / args.pages / 1024:.0f} KB HTML each")
    total = 0.0
    for cls in INSPECTORS:
        inspector = make_inspector(cls)
        if cls is Soft404Inspector:  # as in a crawl: the site's error page arrives right after the homepage
            list(inspector.inspect_fetched(Fetched(
                url=ERROR_URL, final_url=ERROR_URL, site=CITY, purpose=SOFT404_PURPOSE, referer=CITY.url, status=404,
                headers={}, text="<html><head><title>404</title></head><body>页面不存在</body></html>",
                run=run_context())))
        started = time.perf_counter()
        found = wishes = 0
        for p in pages:
            found += sum(1 for _ in inspector.inspect_page(p))
            wishes += sum(1 for _ in inspector.wanted_fetches(p))
        elapsed = time.perf_counter() - started
        total += elapsed
        print(f"  {cls.__name__:<28} {args.pages / elapsed:>9,.0f} pages/s  ({found} items, {wishes} fetch wishes)")
    print(f"  {'all four':<28} {args.pages / total:>9,.0f} pages/s  ({total / args.pages * 1000:.3f} ms/page)")


if __name__ == "__main__":
    main()
