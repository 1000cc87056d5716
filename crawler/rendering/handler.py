"""The download handler: scrapy-playwright, bounded, with a whole-render timeout and a static fallback."""


from __future__ import annotations

import asyncio
import logging
import time
from typing import TYPE_CHECKING, Any

from scrapy import Request
from scrapy.core.downloader.handlers.http11 import HTTP11DownloadHandler
from scrapy_playwright.handler import ScrapyPlaywrightDownloadHandler

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.http import Response


from crawler.addresses import policy_from_settings
from crawler.rendering.guard import NetworkGuard, install, launch_options, proxy_from_env
from crawler.rendering.pool import PagePool, render
from govinspect import signals as gi_signals
from govinspect.vocabulary import RenderWishes, RunContext

# The browser context renders share (the pool's pages live in it).
RENDER_CONTEXT = "render"

logger = logging.getLogger(__name__)


# ---- the download handler ----------------------------------------------------------------------------------
class BrowserDownloadHandler(ScrapyPlaywrightDownloadHandler):
    """scrapy-playwright with a page semaphore, a whole-render timeout and a static fallback.

    With ``_PLAYWRIGHT_THREADED_LOOP`` (on by default here) the browser's I/O runs on its own event
    loop in a thread, so page parsing and inspection on Scrapy's loop do not starve the renders.
    """

    def __init__(self, crawler: Crawler):
        super().__init__(crawler)
        settings = crawler.settings
        proxy = proxy_from_env()
        self.config.launch_options = launch_options(settings, proxy)
        self.config.browser_type_name = "chromium"
        self.guard = NetworkGuard(proxy, settings.getbool("RENDER_LOOPBACK_ONLY"), policy_from_settings(settings))
        install(self.guard)
        if self.abort_request is None:
            self.abort_request = self.guard.abort
        self.enabled = settings.getbool("RENDER_ENABLED")
        self.page_timeout = settings.getfloat("RENDER_PAGE_TIMEOUT")
        self.fallback = settings.getbool("RENDER_FALLBACK_STATIC")
        self.slots = asyncio.Semaphore(max(1, settings.getint("RENDER_MAX_PAGES")))
        self.pool = PagePool(settings.getint("RENDER_PAGE_REUSE"))
        self.navigation_timeout_ms = settings.getfloat("PLAYWRIGHT_DEFAULT_NAVIGATION_TIMEOUT")
        self._started = False
        self._start_lock = asyncio.Lock()
        self.wishes: list[RenderWishes] | None = None  # asked once, before the first render
        # Scrapy builds one handler per scheme: http and https share the first one's browser.
        self.primary: BrowserDownloadHandler = getattr(crawler, "_govinspect_render_handler", None) or self
        crawler._govinspect_render_handler = self.primary

    async def _maybe_launch_in_thread(self) -> None:
        """At engine start, launch the browser in the background only if some site renders."""
        context = RunContext.of(self._crawler.settings)
        registry = context.registry if context is not None else None
        if (self.primary is not self or not self.enabled or registry is None
                or all(s.render == "never" for s in registry)):
            return
        started = self._maybe_future_from_coro(self._warm_up())
        if asyncio.iscoroutine(started):
            asyncio.ensure_future(started)

    def _engine_started(self):  # older Scrapy API: start lazily
        return None

    async def _warm_up(self) -> None:
        try:
            await self._ensure_started()
            await self._maybe_launch_browser()
        except Exception as exc:  # the first render will try again and fall back
            logger.warning("browser warm-up failed: %s", exc)

    async def _ensure_started(self) -> None:
        async with self._start_lock:
            if not self._started:
                await self._launch()
                self._started = True

    async def download_request(self, request: Request, spider: Any = None) -> Response:  # type: ignore[override]
        if not request.meta.get("playwright"):
            return await HTTP11DownloadHandler.download_request(self, request)
        owner = self.primary
        if owner.wishes is None:  # on Scrapy's thread: the inspectors answer here, the renders read them
            owner.wishes = [w for _, w in self._crawler.signals.send_catch_log(gi_signals.render_wishes)
                            if w is not None and not isinstance(w, Exception) and hasattr(w, "wants_evidence")]
        try:
            return await owner._maybe_future_from_coro(owner._render(request))
        except Exception as exc:  # TimeoutError, Playwright errors, a crashed browser
            reason = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
            logger.warning("render failed for %s (%s)%s", request.url, reason,
                           "; fetching it without the browser" if self.fallback else "")
            self.stats.inc_value("govinspect/render_failed")
            if not self.fallback:
                raise
        request.meta["gi_render_failed"] = True
        request.meta.pop("playwright", None)
        return await HTTP11DownloadHandler.download_request(self, request)

    async def _render(self, request: Request) -> Response:
        """One render, on the browser's loop: a slot, a pooled page, then at most ``page_timeout`` s."""
        async with self.slots:
            started = time.monotonic()
            await self._ensure_started()
            page = await self.pool.acquire(await self._render_context())
            request.meta["_gi_page"] = page
            try:
                response, result = await asyncio.wait_for(
                    render(page, request, request.meta["gi_render"], self.navigation_timeout_ms, self.wishes or ()),
                    self.page_timeout)
            except BaseException:
                await self._discard_page(request)
                raise
            request.meta.pop("_gi_page", None)
            self.stats.inc_value("govinspect/renders")
            self.stats.inc_value("govinspect/render_seconds", round(time.monotonic() - started, 3))
            request.meta["gi_render_result"] = result
            running = bool(result.pop("running", False))
            await self.pool.release(page, healthy=True, running=running)
            self.stats.inc_value("govinspect/render_pages_parked", 1 if running else 0)
            self.stats.set_value("govinspect/render_pages_opened", self.pool.opened)
            self.stats.inc_value("govinspect/render_images_seen", result.get("images_seen", 0))
            self.stats.inc_value("govinspect/render_image_bodies", len(result.get("images") or ()))
            self.stats.inc_value("govinspect/render_screenshots", 1 if result.get("screenshot") else 0)
            return response

    async def _render_context(self):
        """The shared render context, created (with the browser, if needed) on first use or after a crash.

        ``context_wrappers``, ``context_launch_lock`` and ``_create_browser_context`` are
        scrapy-playwright internals (pinned in pyproject.toml; tests/rendering/test_private_names.py
        fails when they move): its public path opens a new page per request, which is what the pool
        avoids.
        """
        async with self.context_launch_lock:
            wrapper = self.context_wrappers.get(RENDER_CONTEXT)
            if wrapper is None or not hasattr(self, "browser"):
                self.pool.clear()
                wrapper = await self._create_browser_context(RENDER_CONTEXT, None)
            return wrapper.context

    async def _discard_page(self, request: Request) -> None:
        """Close the failed page; a browser that cannot even do that is restarted."""
        page = request.meta.pop("_gi_page", None)
        if page is None:
            return
        self.pool.forget(page)
        if page.is_closed():
            return
        try:
            await asyncio.wait_for(page.close(), 5)
        except Exception:
            logger.warning("browser unresponsive: restarting it")
            self.stats.inc_value("govinspect/render_browser_restarts")
            browser = getattr(self, "browser", None)
            if browser is not None:
                try:
                    await asyncio.wait_for(browser.close(), 5)
                except Exception:
                    pass
                self.context_wrappers.clear()
                self.pool.clear()
                if hasattr(self, "browser"):
                    del self.browser


