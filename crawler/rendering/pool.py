"""Rendering on a small pool of reused browser pages, without intercepting the page's requests.

scrapy-playwright opens a new page (usually a new renderer process) for every request and routes
every request of it through Python (``page.route("**")``), which also switches Chromium's HTTP cache
off. Measured on a 24-site cluster that was 300 ms of browser CPU per render and 1,690 protocol round
trips for 225 renders. Here a page is opened once and reused for ``RENDER_PAGE_REUSE`` renders (or
until a render on it fails), the "network settled" wait runs inside the page, and no Playwright route
is set (any route pauses every request and turns the HTTP cache off): the browser pauses only the
requests Python must see (:class:`RequestGate`).
"""

from __future__ import annotations

import asyncio
import base64
import logging
import re
from collections.abc import Sequence
from typing import Any

from scrapy import Request
from scrapy.http import Headers
from scrapy.responsetypes import responsetypes

from crawler.rendering import guard as guard_state

logger = logging.getLogger(__name__)

PARK_SECONDS = 5.0  # for the navigation to about:blank that parks a pooled page

# Loopback-only mode: IP-literal URLs that are not loopback. Matched by the browser driver, so only
# those requests (rare) come to Python; names are refused by the resolver rules instead.
NON_LOOPBACK_IP_URL = re.compile(
    r"^[a-z][a-z0-9+.-]*://(?:[^/@]*@)?(?!127\.|\[::1\]|\[::ffff:127\.)(?:\d{1,3}(?:\.\d{1,3}){3}|\[[0-9a-f:.]+\])"
    r"(?::\d+)?(?:[/?#]|$)", re.IGNORECASE)

# Every IP-literal URL (any address; Chromium has canonicalised other spellings to these): judged by
# the address policy (SSRF defence), only these requests come to Python.
IP_URL = re.compile(
    r"^[a-z][a-z0-9+.-]*://(?:[^/@]*@)?(?:\d{1,3}(?:\.\d{1,3}){3}|\[[0-9a-f:.]+\])(?::\d+)?(?:[/?#]|$)",
    re.IGNORECASE)

# In the page before any of its own scripts: count fetch/XHR in flight and short timers pending (a
# script that fills a list "in a moment"), and note when either last changed, so "settled" can be
# decided in the page (no per-request events to Python). Timers chained more than twice (tickers,
# scrolling news) are not waited for, nor intervals: they never end.
COUNT_INFLIGHT_JS = r"""
(() => {
  if (window.__giInflight !== undefined) return;
  window.__giInflight = 0;
  window.__giTimers = 0;
  window.__giLast = 0;
  const touch = () => { window.__giLast = performance.now(); };
  const done = () => { window.__giInflight = Math.max(0, window.__giInflight - 1); touch(); };
  const f = window.fetch;
  if (f) window.fetch = function () {
    window.__giInflight++; touch();
    return f.apply(this, arguments).finally(done);
  };
  const send = XMLHttpRequest.prototype.send;
  XMLHttpRequest.prototype.send = function () {
    window.__giInflight++; touch();
    this.addEventListener('loadend', done, {once: true});
    return send.apply(this, arguments);
  };
  const setT = window.setTimeout, clearT = window.clearTimeout, pending = new Map();
  window.__giSetTimeout = setT;
  let depth = 0;
  window.setTimeout = function (fn, ms) {
    const mine = depth + 1;
    if (mine > 3) window.__giChained = performance.now();
    if (typeof fn !== 'function' || mine > 3 || !((+ms || 0) <= 1000)) return setT.apply(this, arguments);
    const args = Array.prototype.slice.call(arguments, 2);
    const id = setT(function () {
      if (pending.delete(id)) window.__giTimers--;
      depth = mine;
      try { fn.apply(this, args); } finally { depth = 0; touch(); }
    }, ms);
    pending.set(id, true); window.__giTimers++;
    return id;
  };
  window.clearTimeout = function (id) {
    if (pending.delete(id)) window.__giTimers--;
    return clearT.apply(this, arguments);
  };
  // What keeps a page moving after it settled (see "running" in the measurement): intervals alive,
  // animation frames asked for.
  const setI = window.setInterval, clearI = window.clearInterval, intervals = new Set();
  window.__giIntervals = 0;
  window.setInterval = function () {
    const id = setI.apply(this, arguments);
    intervals.add(id); window.__giIntervals = intervals.size;
    return id;
  };
  window.clearInterval = function (id) {
    intervals.delete(id); window.__giIntervals = intervals.size;
    return clearI.apply(this, arguments);
  };
  const raf = window.requestAnimationFrame;
  if (raf) window.requestAnimationFrame = function () {
    window.__giFrame = performance.now();
    return raf.apply(this, arguments);
  };
})();
"""

# Resolves once the page is loaded, nothing is in flight, no short timer is pending, no resource has
# finished since the last look, and ``quiet`` ms have passed since the last of these happened — at
# once for a static page whose scripts have all run; at the latest after ``limit`` ms.
SETTLE_JS = r"""
(opts) => new Promise(resolve => {
  const later = window.__giSetTimeout || setTimeout;
  const t0 = performance.now();
  let count = performance.getEntriesByType('resource').length, since = window.__giLast || 0;
  const tick = () => {
    const now = performance.now();
    const n = performance.getEntriesByType('resource').length;
    const busy = (window.__giInflight || 0) > 0 || (window.__giTimers || 0) > 0 || document.readyState !== 'complete';
    if (n !== count || busy) { count = n; since = now; }
    since = Math.max(since, window.__giLast || 0);
    if (now - since >= opts.quiet || now - t0 >= opts.limit) return resolve(now - t0);
    later(tick, 25);
  };
  tick();
})
"""


class PagePool:
    """Up to ``size`` idle pages of one browser context, each reused ``reuse`` times at most.

    A page comes back to the pool only after a clean render; a page whose render failed, timed out or
    crashed is closed (its renderer may be wedged), and a fresh page takes its place on demand.
    """

    def __init__(self, reuse: int):
        self.reuse = max(1, reuse)
        self._idle: list[Any] = []
        self._uses: dict[int, int] = {}
        self.opened = 0

    async def acquire(self, context: Any) -> Any:
        while self._idle:
            page = self._idle.pop()
            if not page.is_closed():
                return page
        page = await context.new_page()
        self.opened += 1
        self._uses[id(page)] = 0
        await prepare_page(page)
        return page

    async def release(self, page: Any, healthy: bool, running: bool = False) -> None:
        """Back to the pool, or closed (a failed render, or used up).

        ``running``: the page was still moving when measured. Government homepages scroll news
        (``marquee``, ``setInterval`` tickers) and turn carousels, and a pooled page left showing one
        keeps running it: four such pages cost Chromium about half a core between renders. Those
        are parked on ``about:blank`` first; a still page is not, as parking is a navigation of its
        own (about 60 ms of Chromium CPU; ``bench/bench_render_idle.py`` has both figures).
        """
        uses = self._uses.get(id(page), 0) + 1
        self._uses[id(page)] = uses
        if healthy and uses < self.reuse and not page.is_closed() and (not running or await park(page)):
            self._idle.append(page)
            return
        self._uses.pop(id(page), None)
        await close_quietly(page)

    def forget(self, page: Any) -> None:
        """A failed page: the caller closes it (or restarts the browser); it never comes back."""
        self._uses.pop(id(page), None)

    def clear(self) -> None:
        """The browser went away: its pages are gone with it."""
        self._idle.clear()
        self._uses.clear()


async def prepare_page(page: Any) -> None:
    """Once per page: the in-flight counter, image collection, the loopback-only blocks and the
    request gate (:class:`RequestGate`)."""
    await page.add_init_script(COUNT_INFLIGHT_JS)
    page._gi_images = {}

    def on_response(resp: Any) -> None:
        images = page._gi_images
        if resp.request.resource_type == "image" and resp.status == 200 and len(images) < 500:
            images.setdefault(resp.url, resp)

    page.on("response", on_response)
    guard = guard_state.current()
    if guard is not None and guard.loopback_only:
        async def on_ws(ws: Any) -> None:
            if guard.allowed(ws.url):
                ws.connect_to_server()
            else:
                await ws.close()

        await page.route_web_socket(re.compile(".*"), on_ws)
    page._gi_gate = RequestGate(await page.context.new_cdp_session(page), guard)
    await page._gi_gate.start()


def _wildcard(url: str) -> str:
    """A DevTools ``Fetch`` URL pattern matching exactly ``url`` (``*``, ``?`` and ``\\`` escaped)."""
    return re.sub(r"([*?\\])", r"\\\1", url)


# IP-literal URLs, as DevTools Fetch patterns (``*`` and ``?`` only): a host starting with a digit or
# ``[``, or any URL with userinfo. Matched by the browser, so only these requests (rare; a host name
# starting with a digit is continued at once) come to Python.
IP_PATTERNS = [f"{scheme}://{first}*" for scheme in ("http", "https") for first in (*"0123456789", "[")] \
    + [f"{scheme}://*@*" for scheme in ("http", "https")]


class RequestGate:
    """The page's requests that Python must see, paused by the browser through a DevTools session of
    its own (``Fetch`` with URL patterns), every other request untouched.

    Playwright's ``page.route`` cannot do this: any route, whatever its pattern, pauses every request
    of the page on its way through the driver and switches Chromium's HTTP cache off (about a quarter of
    a render's browser CPU on the benchmark cluster). Here the browser matches the patterns itself:
    IP-literal URLs (judged by the address policy, and in loopback-only mode refused unless loopback;
    names are refused by the resolver rules of ``guard``), and per render the page's own document
    (served from the crawl's copy) and its frames' documents (served empty).
    """

    def __init__(self, session: Any, guard: Any):
        self.session = session
        self.guard = guard
        self.base = [{"urlPattern": p, "requestStage": "Request"} for p in IP_PATTERNS] \
            if guard is not None and (guard.loopback_only or guard.policy is not None) else []
        self.static: dict[str, Any] | None = None
        self.served = False
        self.frames: set[str] = set()
        self.main_frame: str | None = None
        session.on("Fetch.requestPaused", self._paused)

    async def start(self) -> None:
        tree = await self.session.send("Page.getFrameTree")
        self.main_frame = tree["frameTree"]["frame"]["id"]
        await self._patterns(self.base)

    async def _patterns(self, patterns: list[dict]) -> None:
        if patterns:
            await self.session.send("Fetch.enable", {"patterns": patterns})
        else:
            await self.session.send("Fetch.disable")

    async def serve(self, static: dict[str, Any] | None, frames: list[str]) -> None:
        """For the next navigation: the document from ``static``, frames' documents empty."""
        self.static, self.served = static, False
        self.frames = {u.rstrip("/") for u in frames}
        urls = ([static["url"]] if static else []) + list(frames)
        extra = [{"urlPattern": _wildcard(v), "resourceType": "Document", "requestStage": "Request"}
                 for u in urls for v in {u, u.rstrip("/"), u.rstrip("/") + "/"}]
        if extra:
            await self._patterns(self.base + extra)

    async def done(self) -> None:
        """The navigation is over: only the address checks stay."""
        had = self.static is not None or self.frames
        self.static, self.frames = None, set()
        if had:
            await self._patterns(self.base)

    def _paused(self, event: dict) -> None:
        asyncio.ensure_future(self._decide(event))

    async def _decide(self, event: dict) -> None:
        request_id, url = event["requestId"], event["request"]["url"]
        try:
            # the crawl's own copies first (fetched, and judged by the address policy, by the crawl)
            if event.get("resourceType") == "Document":
                key = url.split("#", 1)[0].rstrip("/")
                static = self.static
                if static is not None and not self.served and key == static["url"].rstrip("/") \
                        and event.get("frameId") == self.main_frame:
                    self.served = True
                    await self._fulfill(request_id, static["status"], static["content_type"], static["body"])
                    return
                if key in self.frames and event.get("frameId") != self.main_frame:
                    await self._fulfill(request_id, 200, "text/html; charset=utf-8", b"<html><body></body></html>")
                    return
            reason = self._refusal(url)
            if reason:
                logger.info("browser request refused (%s): %s", reason, url)
                await self.session.send("Fetch.failRequest", {"requestId": request_id,
                                                              "errorReason": "BlockedByClient"})
                return
            await self.session.send("Fetch.continueRequest", {"requestId": request_id})
        except Exception as exc:  # the page closed meanwhile, or the browser went away
            logger.debug("request gate: %s: %s", url, exc)

    def _refusal(self, url: str) -> str | None:
        guard = self.guard
        if guard is None or not IP_URL.match(url):
            return None
        if guard.loopback_only and NON_LOOPBACK_IP_URL.match(url):
            return "loopback only"
        return guard.refused(url)

    async def _fulfill(self, request_id: str, status: int, content_type: str, body: bytes) -> None:
        await self.session.send("Fetch.fulfillRequest", {
            "requestId": request_id, "responseCode": status,
            "responseHeaders": [{"name": "Content-Type", "value": content_type}],
            "body": base64.b64encode(body).decode("ascii")})


async def park(page: Any) -> bool:
    """Navigate a rendered page to ``about:blank`` (its scripts, timers and animations stop)."""
    page._gi_images = {}
    try:
        await asyncio.wait_for(page.goto("about:blank"), PARK_SECONDS)
    except Exception as exc:  # a wedged renderer: the caller closes the page
        logger.debug("page not parked: %s", exc)
        return False
    return True


async def close_quietly(page: Any) -> None:
    try:
        await asyncio.wait_for(page.close(), 5)
    except Exception:  # a dead renderer: the browser restart path cleans up
        pass


async def _serve_known(page: Any, request: Request) -> RequestGate:
    """So a render downloads no page the crawl fetches itself:

    * ``gi_static``: the page's own document, already fetched by the crawl (``render=auto``), is
      served from that body, once, instead of being downloaded again;
    * ``gi_frames``: documents of the page's frames (``<iframe src="/include/tq.html">``) that the
      crawl fetches and inspects as pages of their own get an empty document (only the iframe's box in
      this page is measured).
    """
    gate: RequestGate = page._gi_gate
    static = request.meta.get("gi_static")
    own = static["url"].rstrip("/") if static else None
    frames = [u for u in request.meta.get("gi_frames") or () if u.rstrip("/") != own]
    await gate.serve(static, frames)
    return gate


async def render(page: Any, request: Request, options: dict[str, Any], timeout_ms: float,
                 wishes: Sequence[Any] = ()) -> tuple[Any, dict]:
    """Navigate ``page`` to the request's URL; return a Scrapy response and the measurements.

    ``wishes``: the inspectors' ``RenderWishes`` (which image bodies to hand over, whether to capture).
    """
    from crawler.rendering.browser import measure_loaded_page

    page._gi_images = {}
    gate = await _serve_known(page, request)
    try:
        response = await page.goto(request.url, wait_until="load", timeout=timeout_ms,
                                   referer=request.headers.get("Referer", b"").decode("latin-1") or None)
    finally:
        if not page.is_closed():  # the page is reused: its next render must not be served these
            await gate.done()
    # One round trip: settle, stamp and measure, and the DOM's text (after stamping).
    result = await measure_loaded_page(page, options, wishes, settle_js=SETTLE_JS, settle={
        "quiet": options.get("settle_quiet_ms", 100), "limit": options["settle_ms"]})
    html = result.pop("html")
    # ``headers`` (not ``all_headers()``): no round trip; repeated raw headers do not matter here.
    headers = Headers(response.headers) if response is not None else Headers()
    headers.pop("Content-Encoding", None)
    if response is not None:
        redirects = await _redirect_chain(response)
        if redirects:
            request.meta["redirect_times"] = len(redirects)
            request.meta["redirect_urls"] = redirects
    # The DOM is text now: say so in the header, so no decoder reads it with the server's charset.
    headers["Content-Type"] = "text/html; charset=utf-8"
    body = html.encode("utf-8")
    cls = responsetypes.from_args(headers=headers, url=page.url, body=body)
    scrapy_response = cls(url=page.url, status=response.status if response is not None else 200, headers=headers,
                          body=body, request=request, flags=["playwright"], encoding="utf-8")
    return scrapy_response, result


async def _redirect_chain(response: Any) -> list[str]:
    urls: list[str] = []
    redirected = response.request.redirected_from
    while redirected is not None:
        urls.append(redirected.url)
        redirected = redirected.redirected_from
    return list(reversed(urls))
