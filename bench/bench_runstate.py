"""Run-state cost per crawled page, in-process and in Redis: what one page's bookkeeping takes.

Per page the spider makes one ``claim_links`` call (pages, targets, pending work) and a page counter;
the finaliser counts the page's and its checks' markers off (``done_pending``, ``targets_done``:
batched per store flush in a crawl, per page here, so this is the worst case). This script replays
that pattern for ``--pages`` pages of ``--links`` links each and prints pages/s of bookkeeping alone.

    python bench/bench_runstate.py [--redis redis://127.0.0.1:6390/1] [--pages 3000] [--links 60]
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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--redis", default="redis://127.0.0.1:6390/1")
    parser.add_argument("--pages", type=int, default=3000)
    parser.add_argument("--links", type=int, default=60)
    args = parser.parse_args()
    print(f"memory: {replay(MemoryRunState('bench'), args.pages, args.links):,.0f} pages/s of bookkeeping")
    state = RedisRunState.from_url("bench", args.redis, f"gibench-{uuid.uuid4().hex[:8]}")
    try:
        print(f"redis:  {replay(state, args.pages, args.links):,.0f} pages/s of bookkeeping ({args.redis})")
    finally:
        state.purge()
        state.close()


if __name__ == "__main__":
    main()
