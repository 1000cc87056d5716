"""Parser benchmark: Scrapy's own parse vs ``crawler.markup.page_tree`` (early-``</html>`` repair).

Parses every page of a generated demo cluster (plus copies carrying an SSI header that closes its own
document, as www.gov.cn's does) both ways and prints pages/s by CPU time, best of 3.

    .venv/bin/python bench/bench_parse.py [--pages-per-site 100]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scrapy.http import HtmlResponse  # noqa: E402

from crawler.markup import needs_repair, page_tree  # noqa: E402
from govinspect.demo.generator import build_cluster  # noqa: E402

SSI = '<div class="header"><a href="/">首页</a> --> </html> <!--end header-->'


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pages-per-site", type=int, default=100)
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="govinspect-parse-"))
    build_cluster(work, sites=10, pages_per_site=args.pages_per_site)
    bodies = [p.read_bytes() for p in (work / "hosts").rglob("*.html")]
    ssi = [b.replace(b"<body>", b"<body>" + SSI.encode(), 1) for b in bodies[: len(bodies) // 10]]
    for label, pages in (("demo pages", bodies), ("pages with an SSI </html>", ssi)):
        responses = [HtmlResponse(f"http://x.gov.cn/{i}.html", body=b, encoding="utf-8") for i, b in enumerate(pages)]
        repaired = sum(needs_repair(r.text) for r in responses)
        for name, parse in (("scrapy selector", lambda r: r.selector.root), ("page_tree", page_tree)):
            best = 1e9
            for _ in range(3):
                fresh = [r.replace() for r in responses]  # selectors are cached per response
                started = time.process_time()
                for r in fresh:
                    parse(r)
                best = min(best, time.process_time() - started)
            print(f"{label:<28} {name:<16} {len(pages) / best:>8.0f} pages/s  ({repaired} of {len(pages)} repaired)")


if __name__ == "__main__":
    main()
