"""The http/https download handler Scrapy is given: the browser's only when rendering is on.

Importing Playwright and scrapy-playwright costs about 0.25 CPU s at every start. A crawl with
rendering off (``RENDER_ENABLED=False``, the usual fleet worker) never sends a request to the browser,
so it gets Scrapy's own HTTP/1.1 handler and never imports them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from scrapy.core.downloader.handlers.http11 import HTTP11DownloadHandler
from scrapy.utils.misc import build_from_crawler

if TYPE_CHECKING:
    from scrapy.crawler import Crawler


class RenderDownloadHandler:
    """Builds the handler for the run: :class:`~crawler.rendering.handler.BrowserDownloadHandler`
    (scrapy-playwright, bounded, with a static fallback) when rendering is on, plain HTTP/1.1 otherwise."""

    lazy = False  # like both handlers it picks between: built when the engine is

    @classmethod
    def from_crawler(cls, crawler: Crawler):
        if not crawler.settings.getbool("RENDER_ENABLED"):
            return build_from_crawler(HTTP11DownloadHandler, crawler)
        from crawler.rendering.handler import BrowserDownloadHandler

        return build_from_crawler(BrowserDownloadHandler, crawler)
