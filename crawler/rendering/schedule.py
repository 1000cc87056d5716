"""Scheduler priority queue: renders first, then Scrapy's downloader-aware order among hosts.

Scrapy's default ``DownloaderAwarePriorityQueue`` hands out the slot with the fewest active downloads
and orders by priority only within a slot. Renders share one slot (``RENDER_SLOT``), which usually has
a few renders in the browser, so it lost to every host slot with fewer active downloads: in a
``render=auto`` crawl the renders trickled at ~4/s while the browser's pages sat idle, then came all
at once after the static crawl (``bench/bench_render_auto.py``: 250 of 365 renders in the last 26 s).
Serving the render slot first is safe: the spider's render lane lets at most twice
``RENDER_MAX_PAGES`` renders into Scrapy, so renders can never take the downloader from the hosts.
"""

from __future__ import annotations

from scrapy.http import Request
from scrapy.pqueues import DownloaderAwarePriorityQueue

from crawler.rendering.policy import RENDER_SLOT


class RendersFirstQueue(DownloaderAwarePriorityQueue):
    """``SCHEDULER_PRIORITY_QUEUE``: a queued render is popped before any host's request."""

    def pop(self) -> Request | None:
        renders = self.pqueues.get(RENDER_SLOT)
        if not renders:
            return super().pop()
        request = renders.pop()
        if not renders:
            del self.pqueues[RENDER_SLOT]
            renders.close()
        return request

    def peek(self) -> Request | None:
        renders = self.pqueues.get(RENDER_SLOT)
        return renders.peek() if renders else super().peek()
