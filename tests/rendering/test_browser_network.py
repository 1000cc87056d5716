"""The browser reaches loopback only: the request route aborts everything else, the resolver rules
map every other name (and address) to nothing, stray WebSockets are closed, and a loopback proxy
with realistic host names still works."""

from __future__ import annotations

import asyncio

from playwright.async_api import async_playwright
from scrapy import Request

from crawler.rendering import NetworkGuard, init_page, launch_options
from crawler.rendering import guard as guard_state
from govinspect.config import project_settings
from tests.rendering.conftest import CHROMIUM, needs_chromium
from tests.support.server import Route, RouteServer, html

pytestmark = needs_chromium

PAGE = html(
    '<img id="local" src="/dot.png"><img id="remote" src="http://example.com/dot.png">'
    '<script>window.remote = fetch("http://203.0.113.7/steal").then(() => "reached", () => "blocked");'
    'window.ws = new Promise(ok => { try { const s = new WebSocket("ws://example.com/feed");'
    's.onopen = () => ok("open"); s.onerror = s.onclose = () => ok("closed"); } catch (e) { ok("closed"); } });'
    "</script>"
)


async def _open(proxy: dict | None, route: bool = True):
    pw = await async_playwright().start()
    browser = await pw.chromium.launch(**launch_options(
        project_settings({"RENDER_LOOPBACK_ONLY": True, "RENDER_BROWSER_PATH": CHROMIUM}), proxy))
    page = await browser.new_page()
    guard = NetworkGuard(proxy, loopback_only=True)
    blocked: list[str] = []
    if route:
        async def handle(r):
            if guard.abort(r.request):
                blocked.append(r.request.url)
                await r.abort()
            else:
                await r.continue_()
        await page.route("**", handle)
    return pw, browser, page, blocked, guard


def test_non_loopback_requests_are_blocked():
    async def run():
        with RouteServer({"/": Route(PAGE), "/dot.png": Route(b"", headers={"Content-Type": "image/png"})}) as srv:
            pw, browser, page, blocked, guard = await _open(None)
            guard_state.install(guard)
            try:
                await init_page(page, Request(srv.url + "/"))
                await page.goto(srv.url + "/")
                remote, ws = await page.evaluate("Promise.all([window.remote, window.ws])")
                try:
                    await page.goto("http://example.com/", timeout=5000)
                    navigated = True
                except Exception:
                    navigated = False
            finally:
                guard_state.install(None)
                await browser.close()
                await pw.stop()
            return srv.hits, blocked, remote, ws, navigated

    hits, blocked, remote, ws, navigated = asyncio.run(run())
    assert ("GET", "/") in hits and ("GET", "/dot.png") in hits
    assert "http://example.com/dot.png" in blocked
    assert "http://203.0.113.7/steal" in blocked
    assert remote == "blocked" and ws == "closed" and not navigated


def test_resolver_rules_alone_keep_names_and_addresses_off_the_network():
    """Second layer, for what a route cannot see (preconnects, DNS prefetch): no route at all here."""
    async def run():
        pw, browser, page, _, _ = await _open(None, route=False)
        errors = []
        try:
            for url in ("http://example.com/", "http://203.0.113.7/", "http://10.1.2.3/"):
                try:
                    await page.goto(url, timeout=5000)
                    errors.append("loaded")
                except Exception as exc:
                    errors.append(str(exc))
        finally:
            await browser.close()
            await pw.stop()
        return errors

    for error in asyncio.run(run()):
        assert "ERR_NAME_NOT_RESOLVED" in error


def test_realistic_host_names_through_a_loopback_proxy():
    """Like the demo: ``http_proxy`` points at 127.0.0.1 and pages use government host names."""
    home = html('<img src="http://www.example-city.gov.cn/dot.png">'
                '<script>window.direct = fetch("http://x.direct.example.org/").then(() => "reached", () => "blocked")'
                "</script>")
    routes = {"http://www.example-city.gov.cn/": Route(home),
              "http://www.example-city.gov.cn/dot.png": Route(b"", headers={"Content-Type": "image/png"})}

    async def run():
        with RouteServer(routes) as proxy_srv:
            proxy = {"server": proxy_srv.url, "bypass": ".direct.example.org"}
            pw, browser, page, blocked, _ = await _open(proxy)
            try:
                response = await page.goto("http://www.example-city.gov.cn/")
                direct = await page.evaluate("window.direct")
                status = response.status if response else None
            finally:
                await browser.close()
                await pw.stop()
            return proxy_srv.hits, blocked, direct, status

    hits, blocked, direct, status = asyncio.run(run())
    assert status == 200
    assert ("GET", "http://www.example-city.gov.cn/") in hits
    assert ("GET", "http://www.example-city.gov.cn/dot.png") in hits
    assert direct == "blocked" and "http://x.direct.example.org/" in blocked
