"""Python cost per page of the crawl with rendering off, without the network: the issue-9 replay.

Builds the issue-9 cluster (as ``bench_downloads.py`` does), reads its pages from disk and hands each,
as the response Scrapy would deliver, to a real ``ClusterSpider`` (every configured inspector, the
run state, link claims) and its items to the real ``StorePipeline``. No server, no scheduler, no
downloader: what is timed is govinspect's own work per page, the part a plain spider does not do. CPU
time of the best of ``--repeat`` passes (other processes on a shared machine only add to it). The
requests the spider yields are not answered: the soft-404 inspector never learns a site's error page,
so it reads every page's text (a crawl decides most pages without), a little harsher than a crawl.
The garbage collector runs at the crawl's pace (``GC_THRESHOLDS``); ``--python-gc`` keeps Python's.

    .venv/bin/python bench/bench_page_cost.py [--sites 24] [--pages-per-site 125] [--repeat 3] [--python-gc]
"""

from __future__ import annotations

import argparse
import gc
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scrapy import Request  # noqa: E402
from scrapy.http import HtmlResponse  # noqa: E402
from scrapy.utils.reactor import install_reactor  # noqa: E402
from scrapy.utils.test import get_crawler  # noqa: E402

from crawler.encoding import detect_encoding  # noqa: E402
from crawler.spiders.cluster import ERROR_STATUSES, ClusterSpider  # noqa: E402
from govinspect.api import crawl_settings, open_run  # noqa: E402
from govinspect.config import build_settings  # noqa: E402
from govinspect.demo.generator import build_cluster  # noqa: E402
from govinspect.demo.seeds import SEEDS  # noqa: E402
from govinspect.findings import WorkDone  # noqa: E402
from govinspect.registry import load_registry  # noqa: E402
from pipelines.store import StorePipeline  # noqa: E402

PAGE_SUFFIXES = (".html", ".htm", ".shtml", ".jsp", ".do")


def pages_of(root: Path, registry) -> list[tuple[str, str, bytes]]:
    """(site id, URL, body) of every page file of the registered hosts, homepages first."""
    out = []
    for site in registry:
        host_dir = root / "hosts" / site.host.replace(":", "_")
        if not host_dir.is_dir():
            continue
        for path in sorted(host_dir.rglob("*")):
            if path.is_file() and path.suffix in PAGE_SUFFIXES:
                rel = path.relative_to(host_dir).as_posix()
                url = f"http://{site.host}/" + ("" if rel == "index.html" else rel)
                out.append((site.id, url, path.read_bytes()))
    out.sort(key=lambda p: not p[1].endswith("/"))
    return out


def one_pass(work: Path, registry, pages, n: int, python_gc: bool = False) -> tuple[float, int, int]:
    settings = build_settings(None, ["RENDER_ENABLED=false", "LOG_LEVEL=ERROR", "PROGRESS_INTERVAL=0"]
                              + (["GC_THRESHOLDS=[]"] if python_gc else []),
                              {"GOVINSPECT_STORE": str(work / f"store-{n}.sqlite3")})
    context = open_run(registry, settings, date(2026, 12, 1), f"bench-{n}")
    saved_gc = gc.get_threshold()
    thresholds = [int(t) for t in settings.getlist("GC_THRESHOLDS")]
    if thresholds:  # the crawl's pace, as crawler.extensions.GarbageCollection sets it when the spider opens
        gc.set_threshold(*thresholds)
    crawler = get_crawler(ClusterSpider, crawl_settings(settings, context).copy_to_dict())
    crawler._apply_settings()
    spider = ClusterSpider.from_crawler(crawler)
    crawler.spider = spider
    store = StorePipeline.from_crawler(crawler)
    items = 0
    started = time.process_time()
    for site_id, url, body in pages:
        encoding, _ = detect_encoding(body, "text/html")
        request = Request(url, callback=spider.parse_page, meta={
            "site_id": site_id, "depth": 1, "homepage": url.endswith("/"), "kind": "page",
            "handle_httpstatus_list": ERROR_STATUSES, "link_text": None, "from_page": None})
        response = HtmlResponse(url, status=200, body=body, encoding=encoding, request=request,
                                headers={"Content-Type": f"text/html; charset={encoding}"})
        for item in spider.parse_page(response):
            if isinstance(item, Request):
                continue
            items += 1
            try:
                store.process_item(item)
            except Exception:  # DropItem for markers
                assert isinstance(item, WorkDone)
    store.flush()
    spent = time.process_time() - started
    store.store.close()
    context.state.close()
    gc.set_threshold(*saved_gc)
    return spent, len(pages), items


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sites", type=int, default=24)
    parser.add_argument("--pages-per-site", type=int, default=125)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--cluster", help="an existing cluster directory (default: build one)")
    parser.add_argument("--python-gc", action="store_true", help="Python's garbage-collector pace, not the crawl's")
    args = parser.parse_args()
    install_reactor("twisted.internet.asyncioreactor.AsyncioSelectorReactor")  # components expect one
    work = Path(tempfile.mkdtemp(prefix="govinspect-bench-pages-"))
    root = Path(args.cluster) if args.cluster else work / "cluster"
    if not args.cluster:
        build_cluster(root, sites=args.sites, pages_per_site=args.pages_per_site, hang_seconds=1.0,
                      seed_names=[s for s in SEEDS if s != "traps"])
    registry = load_registry(root / "registry.csv")
    pages = pages_of(root, registry)
    runs = [one_pass(work, registry, pages, n, args.python_gc) for n in range(args.repeat)]
    best = min(r[0] for r in runs)
    print(f"{len(pages)} pages, {runs[0][2]} items; CPU s per pass: {', '.join(f'{r[0]:.2f}' for r in runs)}")
    print(f"best: {best:.2f} CPU s = {1000 * best / len(pages):.2f} ms per page (stores in {work})")


if __name__ == "__main__":
    main()
