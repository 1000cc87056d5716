"""Run-state cost per crawled page, in-process and in Redis: what one page's bookkeeping takes.

Per page the spider makes one ``claim_links`` call (pages, targets, pending work) and a page counter;
the finaliser counts the page's and its checks' markers off (``done_pending``, ``targets_done``:
batched per store flush in a crawl, per page here, so this is the worst case). This script replays
that pattern for ``--pages`` pages of ``--links`` links each and prints pages/s of bookkeeping alone.

The image inspector's share (issue 8) is printed apart: per page its ``--images`` contexts wait for
their images (``wait_for``, a context as the crawl serialises it) and the downloads are claimed
within the site's budget (``claim_within``); each image is resolved (``resolve``, handing its contexts
over) after every 20 pages.

    python bench/bench_runstate.py [--redis redis://127.0.0.1:6390/1] [--pages 3000] [--links 60] [--images 12]
"""

from __future__ import annotations

import argparse
import time
import uuid

from govinspect.runstate import MemoryRunState, RunState
from govinspect.runstate.redis import RedisRunState


def replay(state: RunState, pages: int, links: int) -> float:
    state.begin({"s": pages * 2})
    started = time.perf_counter()
    for p in range(pages):
        urls = [f"http://s.gov.cn/p{(p * 7 + i) % (pages * 3)}.html" for i in range(links // 2)]
        targets = [f"http://ext{i % 40}.cn/t{(p + i) % 500}" for i in range(links // 2)]
        _, firsts, _ = state.claim_links("s", urls, [(t, None) for t in targets])
        state.incr("s", "pages")
        # the finaliser, per store flush: the page's and its checks' markers counted off in two calls
        state.done_pending("s")
        state.targets_done([t for t, first in zip(targets, firsts, strict=True) if first])
    return pages / (time.perf_counter() - started)


def replay_images(state: RunState, pages: int, images: int) -> float:
    base = {"site_id": "s", "alt": "国徽", "title": "", "filename": "guohui.png", "caption": "示例市人民政府",
            "declared": [60.0, 64.0], "gi_id": None, "box": None, "page_shot": None, "evidence_dir": None,
            "approval": False, "homepage": False}
    started = time.perf_counter()
    for p in range(pages):
        batch = p // 20
        urls = [f"http://s.gov.cn/images/b{batch}/i{i}.png" for i in range(images)]
        state.wait_for("images.analysis", [(u, {**base, "url": u, "page_url": f"http://s.gov.cn/p{p}.html"})
                                           for u in urls])
        state.claim_within("images.requested", "s", urls, 400)
        if p % 20 == 19:
            for u in urls:
                state.resolve("images.analysis", u, {"sha256": "0" * 64, "width": 60, "height": 64, "format": "PNG",
                                                     "error": None, "flag": None, "emblem": None})
    return pages / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--redis", default="redis://127.0.0.1:6390/1")
    parser.add_argument("--pages", type=int, default=3000)
    parser.add_argument("--links", type=int, default=60)
    parser.add_argument("--images", type=int, default=12)
    args = parser.parse_args()
    print(f"memory: {replay(MemoryRunState('bench'), args.pages, args.links):,.0f} pages/s of bookkeeping")
    print(f"memory: {replay_images(MemoryRunState('bench'), args.pages, args.images):,.0f} pages/s of image "
          f"bookkeeping ({args.images} images a page)")
    state = RedisRunState.from_url("bench", args.redis, f"gibench-{uuid.uuid4().hex[:8]}")
    try:
        print(f"redis:  {replay(state, args.pages, args.links):,.0f} pages/s of bookkeeping ({args.redis})")
        print(f"redis:  {replay_images(state, args.pages, args.images):,.0f} pages/s of image bookkeeping")
    finally:
        state.purge()
        state.close()


if __name__ == "__main__":
    main()
