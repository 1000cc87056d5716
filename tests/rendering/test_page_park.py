"""Pooled pages that were still moving when measured (tickers, marquees, animations) are parked on
about:blank before they wait for their next render, so they stop running; still pages are not (parking
is a navigation of its own). Real Chromium, the real init script, measurement and pool."""

from __future__ import annotations

import asyncio

from playwright.async_api import async_playwright

from crawler.rendering import RenderPolicy, launch_options
from crawler.rendering.browser import measure_loaded_page
from crawler.rendering.pool import SETTLE_JS, PagePool
from govinspect.config import project_settings
from tests.rendering.conftest import CHROMIUM, needs_chromium
from tests.support.server import Route, RouteServer, html

pytestmark = needs_chromium

SETTINGS = project_settings({"RENDER_LOOPBACK_ONLY": True, "RENDER_BROWSER_PATH": CHROMIUM, "RENDER_SCREENSHOTS": False})
# a news ticker that also tells the server it is still running
TICKER = html("<div id='t'>滚动新闻</div><script>let n = 0; setInterval(() => { n += 1;"
              " document.getElementById('t').style.marginLeft = (n % 50) + 'px';"
              " if (n % 5 === 0) fetch('/beat?' + n); }, 20);</script>")
MARQUEE = html("<marquee>通知公告：示例市召开常务会议</marquee>")
STILL = html("<h1>政策文件</h1><p>示例市人民政府关于印发工作要点的通知</p>")


def _beats(server: RouteServer) -> int:
    return sum(1 for _, path in server.hits if path.startswith("/beat"))


async def _render_and_release(server: RouteServer, path: str) -> tuple[bool, str, int, int]:
    """(measured as running, URL of the pooled page after release, beats before, beats after release)."""
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(**launch_options(SETTINGS, None))
        try:
            pool = PagePool(reuse=10)
            page = await pool.acquire(await browser.new_context())
            await page.goto(server.url + path)
            options = RenderPolicy(SETTINGS).render_meta(server.url + path)["gi_render"]
            result = await measure_loaded_page(page, options, settle_js=SETTLE_JS, settle={"quiet": 100, "limit": 1500})
            await asyncio.sleep(0.5)
            before = _beats(server)
            await pool.release(page, healthy=True, running=bool(result.get("running")))
            settled = _beats(server)
            await asyncio.sleep(1.0)
            return bool(result.get("running")), page.url, before, _beats(server) - settled
        finally:
            await browser.close()


def _run(path: str) -> tuple[bool, str, int, int]:
    routes = {"/ticker.html": Route(TICKER), "/marquee.html": Route(MARQUEE), "/still.html": Route(STILL)}
    routes.update({f"/beat?{n}": Route(b"") for n in range(5, 5000, 5)})
    with RouteServer(routes) as server:
        return asyncio.run(_render_and_release(server, path))


def test_a_ticker_page_is_parked_and_stops():
    running, url, before, after = _run("/ticker.html")
    assert running and url == "about:blank"
    assert before > 0 and after == 0  # it was beating until parked, and not once since


def test_a_marquee_counts_as_running():
    running, url, _, _ = _run("/marquee.html")
    assert running and url == "about:blank"


def test_a_still_page_is_not_parked():
    """Decoy: nothing moves, so no navigation is spent; the page keeps its document."""
    running, url, _, _ = _run("/still.html")
    assert not running and url.endswith("/still.html")
