"""Browser rendering: which pages to render, a bounded Playwright download handler, rendered geometry.

Rendering costs about 70× a plain fetch, so the registry ``render`` field decides: ``always``,
``never``, or ``auto`` (the homepage, plus pages whose static HTML looks built by script; these are
fetched statically first so the crawl goes on while the browser works, and the rendered copy is the
one inspected). Rendered
pages carry :class:`inspectors.base.RenderInfo`:

* ``boxes`` — geometry keyed by the ``data-gi-id`` attribute that the browser stamps on every
  ``img``, ``a``, ``area``, ``iframe`` and ``input[type=image]`` before measuring. The response body is
  the DOM *after* stamping, so ``el.get("data-gi-id")`` on the page's lxml tree is the key.
* ``screenshot`` — a full-page JPEG (height capped) in ``<store folder>/screenshots/pages/``;
  :func:`evidence_screenshot` crops it around an element for a finding.
* ``extra`` — ``images`` (image bytes the browser already loaded, by URL, so they are not fetched
  twice), ``document_size``, ``evidence_dir``.

The handler renders at most ``RENDER_MAX_PAGES`` pages at once and gives each ``RENDER_PAGE_TIMEOUT``
seconds in all; a render that fails, hangs or crashes the browser falls back to a plain fetch of
that page, so one bad page costs its render, never the run.
"""

from __future__ import annotations

import asyncio
import hashlib
import ipaddress
import logging
import os
import re
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from scrapy import Request
from scrapy.core.downloader.handlers.http11 import HTTP11DownloadHandler
from scrapy_playwright.handler import ScrapyPlaywrightDownloadHandler
from scrapy_playwright.page import PageMethod

from inspectors.base import ElementBox, RenderInfo

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.http import Response
    from scrapy.settings import BaseSettings

    from govinspect.registry import Site

logger = logging.getLogger(__name__)

BASE_ARGS = (
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
)
# Every name but loopback resolves to nothing: preconnects and WebSockets cannot leave the machine.
LOOPBACK_RESOLVER_RULES = "MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost"
MEASURED = "img,a,area,iframe,input[type=image]"

# Browser side: stamp ids, measure boxes and say why an element is hidden (for the hidden-link check).
_MEASURE_JS = r"""
(opts) => {
  const de = document.documentElement, body = document.body || de;
  const docW = Math.max(de.scrollWidth, body.scrollWidth, de.clientWidth);
  const docH = Math.max(de.scrollHeight, body.scrollHeight, de.clientHeight);
  const sx = window.scrollX, sy = window.scrollY;
  const why = (el, r) => {
    for (let a = el; a && a.nodeType === 1; a = a.parentElement) {
      const cs = getComputedStyle(a);
      if (cs.display === 'none') return 'display:none';
      if (cs.visibility === 'hidden' || cs.visibility === 'collapse') return 'visibility:hidden';
      if (parseFloat(cs.opacity) === 0) return 'opacity:0';
      if (a.tagName === 'MARQUEE') {
        const m = a.getBoundingClientRect();
        if (m.width <= 1 || m.height <= 1) return 'marquee';
      }
      if (a !== el && cs.overflow !== 'visible' && (a.clientHeight === 0 || a.clientWidth === 0))
        return 'clipped';
    }
    if (el.tagName === 'A' && parseFloat(getComputedStyle(el).fontSize) === 0
        && !el.querySelector('img')) return 'font-size:0';
    if (r.width < 1 || r.height < 1) return 'zero-size';
    if (r.right + sx <= 0 || r.bottom + sy <= 0 || r.left + sx >= docW || r.top + sy >= docH)
      return 'off-screen';
    return null;
  };
  const boxes = {};
  let n = 0;
  for (const el of document.querySelectorAll(opts.selector)) {
    if (n >= opts.max) break;
    const id = 'g' + (n++);
    el.setAttribute('data-gi-id', id);
    const r = el.getBoundingClientRect();
    const reason = why(el, r);
    const img = el.tagName === 'IMG';
    boxes[id] = [r.left + sx, r.top + sy, r.width, r.height, reason === null,
                 img ? el.naturalWidth : null, img ? el.naturalHeight : null, reason,
                 img ? getComputedStyle(el).objectFit : null];
  }
  return {boxes: boxes, width: docW, height: docH};
}
"""


# ---- policy ------------------------------------------------------------------------------------------
_SPA_ROOT = re.compile(r"<(?:div|main)[^>]+id=[\"'](?:app|root|__next|__nuxt|vue-app)[\"'][^>]*>\s*</(?:div|main)>",
                       re.IGNORECASE)
_SCRIPT_FILL = re.compile(
    r"\$\.(?:ajax|get|getJSON|post)\s*\(|\.load\s*\(\s*['\"]|fetch\s*\(|XMLHttpRequest|document\.write\s*\(|"
    r"innerHTML\s*=|template\s*\(|\.render\s*\(", re.IGNORECASE)
_EMPTY_LIST = re.compile(
    r"<(ul|ol|tbody|div|table)\b[^>]*(?:id|class)=[\"'][^\"']*(?:list|news|content|data|item|article|info)"
    r"[^\"']*[\"'][^>]*>\s*</\1>", re.IGNORECASE)
_TAGS = re.compile(r"<script\b.*?</script>|<style\b.*?</style>|<[^>]+>", re.IGNORECASE | re.DOTALL)


def looks_script_built(html: str) -> bool:
    """Static HTML whose content arrives by script: an empty app root, or empty list containers
    next to code that fills them, or almost no text but scripts."""
    if _SPA_ROOT.search(html):
        return True
    scripted = bool(_SCRIPT_FILL.search(html))
    if scripted and _EMPTY_LIST.search(html):
        return True
    text = " ".join(_TAGS.sub(" ", html).split())
    return scripted and len(text) < 80 and "<script" in html.lower()


class RenderPolicy:
    """Decides per request whether to render, and turns rendered responses into ``RenderInfo``."""

    def __init__(self, settings: BaseSettings):
        self.enabled = settings.getbool("RENDER_ENABLED", True)
        self.max_elements = settings.getint("RENDER_MAX_ELEMENTS", 5000)
        self.settle_ms = settings.getint("RENDER_SETTLE_MS", 1500)
        self.screenshots = settings.getbool("RENDER_SCREENSHOTS", True)
        self.shot_max_height = settings.getint("RENDER_SCREENSHOT_MAX_HEIGHT", 6000)
        self.capture_images = settings.getint("RENDER_CAPTURE_IMAGES", 60)
        self.image_maxsize = settings.getint("IMAGE_MAXSIZE", 5 * 1024 * 1024)
        self.screenshot_dir = screenshot_dir(settings)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RenderPolicy:
        return cls(crawler.settings)

    def wants(self, site: Site, homepage: bool) -> bool:
        """Render from the start: ``always`` only (``auto`` fetches statically first, see below)."""
        return self.enabled and site.render == "always"

    def prepare(self, request: Request, site: Site, homepage: bool, force: bool = False) -> Request:
        """Mark a page request for rendering when the policy (or ``force``) says so."""
        if not (force or self.wants(site, homepage)):
            return request
        request.meta.update(self.render_meta(request.url))
        return request.replace(dont_filter=True) if force else request

    def render_meta(self, url: str) -> dict[str, Any]:
        options = {
            "selector": MEASURED, "max": self.max_elements, "settle_ms": self.settle_ms,
            "capture_images": self.capture_images, "image_maxsize": self.image_maxsize,
            "shot": str(self.screenshot_dir / "pages" / (_digest(url) + ".jpg")) if self.screenshots else None,
            "shot_max_height": self.shot_max_height,
        }
        return {
            "playwright": True, "playwright_context": "render",
            "playwright_page_init_callback": "crawler.rendering.init_page",
            "playwright_page_methods": {"measure": PageMethod(measure_page, options)},
            "playwright_page_goto_kwargs": {"wait_until": "load"},
        }

    def wants_rerender(self, site: Site, response: Response) -> bool:
        """``auto``: the homepage, and static pages that look script-built, are fetched again rendered.

        The spider follows the static page's links at once and inspects only the rendered copy, so a
        site's crawl never waits for the browser.
        """
        meta = response.meta
        if (not self.enabled or site.render != "auto" or "playwright" in response.flags
                or meta.get("playwright") or meta.get("gi_render_failed")):
            return False
        if meta.get("homepage"):
            return True
        try:
            return looks_script_built(response.text)
        except (AttributeError, ValueError):
            return False

    def render_info(self, response: Response) -> RenderInfo | None:
        if "playwright" not in response.flags:
            return None
        methods = response.meta.get("playwright_page_methods") or {}
        method = methods.get("measure") if isinstance(methods, dict) else None
        result = getattr(method, "result", None) or {}
        boxes = {
            key: ElementBox(x=v[0], y=v[1], width=v[2], height=v[3], visible=bool(v[4]),
                            natural_width=v[5], natural_height=v[6], hidden_reason=v[7], object_fit=v[8])
            for key, v in (result.get("boxes") or {}).items()
        }
        return RenderInfo(
            boxes=boxes, screenshot=result.get("screenshot"),
            extra={"images": result.get("images") or {}, "evidence_dir": str(self.screenshot_dir),
                   "document_size": (result.get("width"), result.get("height")),
                   "render_seconds": result.get("seconds")},
        )


def screenshot_dir(settings: BaseSettings) -> Path:
    """Screenshots live next to the store: ``<store folder>/screenshots``."""
    store = settings.get("GOVINSPECT_STORE") or "govinspect-data/findings.sqlite3"
    return Path(store).expanduser().resolve().parent / "screenshots"


def _digest(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8", "replace")).hexdigest()[:20]


# ---- browser side (run inside the Playwright handler) --------------------------------------------------
async def init_page(page: Any, request: Request) -> None:
    """Remember the page (to close it on timeout), collect image responses, block stray WebSockets."""
    request.meta["_gi_page"] = page
    images: dict[str, Any] = {}
    net = {"inflight": 0, "last": time.monotonic()}
    page._gi_images, page._gi_net = images, net  # read by measure_page

    def on_response(resp: Any) -> None:
        if resp.request.resource_type == "image" and resp.status == 200 and len(images) < 500:
            images.setdefault(resp.url, resp)

    def started(_: Any) -> None:
        net["inflight"] += 1
        net["last"] = time.monotonic()

    def ended(_: Any) -> None:
        net["inflight"] -= 1
        net["last"] = time.monotonic()

    page.on("response", on_response)
    page.on("request", started)
    page.on("requestfinished", ended)
    page.on("requestfailed", ended)
    guard = _GUARD
    if guard is not None and guard.loopback_only:
        async def on_ws(ws: Any) -> None:
            if guard.allowed(ws.url):
                ws.connect_to_server()
            else:
                await ws.close()
        await page.route_web_socket(re.compile(".*"), on_ws)


_SHOT_LOCK: asyncio.Lock | None = None


def _shot_lock() -> asyncio.Lock:
    """Created on first use, on the loop the renders run on (the browser's thread loop)."""
    global _SHOT_LOCK
    if _SHOT_LOCK is None:
        _SHOT_LOCK = asyncio.Lock()
    return _SHOT_LOCK


async def _settle(page: Any, limit: float, quiet: float = 0.15) -> None:
    """Wait until no request has been in flight for ``quiet`` seconds (scripts filling lists), at most
    ``limit``; cheaper than Playwright's ``networkidle``, which always waits 500 ms."""
    net = getattr(page, "_gi_net", None)
    deadline = time.monotonic() + limit
    while net is not None and time.monotonic() < deadline:
        if net["inflight"] <= 0 and time.monotonic() - net["last"] >= quiet:
            return
        await asyncio.sleep(0.05)


async def measure_page(page: Any, options: dict[str, Any]) -> dict[str, Any]:
    """Let the page settle, stamp and measure elements, take the page screenshot, keep image bytes."""
    started = time.monotonic()
    await _settle(page, options["settle_ms"] / 1000)
    result = await page.evaluate(_MEASURE_JS, {"selector": options["selector"], "max": options["max"]})
    shot = options.get("shot")
    if shot:
        Path(shot).parent.mkdir(parents=True, exist_ok=True)
        height = max(1, min(int(result["height"] or 1), options["shot_max_height"]))
        width = max(1, int(result["width"] or 1))
        # Headless Chromium paints beyond the viewport only for the page in front: pages captured
        # side by side repeat their first screenful. One capture at a time, brought to front.
        async with _shot_lock():
            await page.bring_to_front()
            await page.screenshot(path=shot, type="jpeg", quality=70, full_page=True,
                                  clip={"x": 0, "y": 0, "width": width, "height": height}, timeout=10_000)
        result["screenshot"] = shot
    images: dict[str, bytes] = {}
    for url, resp in list(getattr(page, "_gi_images", {}).items())[: options["capture_images"]]:
        try:
            size = int((await resp.all_headers()).get("content-length") or 0)
            if size <= options["image_maxsize"]:
                body = await resp.body()
                if len(body) <= options["image_maxsize"]:
                    images[url] = body
        except Exception:  # evicted from the browser cache, redirect, aborted: the crawl fetches it
            continue
    result["images"] = images
    result["seconds"] = round(time.monotonic() - started, 3)
    return result


# ---- network guard and proxy -----------------------------------------------------------------------------
class NetworkGuard:
    """Where the browser may connect. With ``loopback_only`` (tests, the demo) every request whose
    actual destination — the proxy when one applies, else the URL's host — is not loopback is aborted."""

    def __init__(self, proxy: dict[str, str] | None, loopback_only: bool):
        self.proxy = proxy
        self.loopback_only = loopback_only
        self.bypass = [b.strip().lower() for b in (proxy or {}).get("bypass", "").split(",") if b.strip()]
        self.proxy_host = urlsplit(proxy["server"]).hostname if proxy else None

    def _bypassed(self, host: str) -> bool:
        for entry in self.bypass:
            if entry == "*" or host == entry.lstrip("*.") or host.endswith("." + entry.lstrip("*.")):
                return True
        return False

    def destination(self, url: str) -> str | None:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        if self.proxy_host and parts.scheme in ("http", "https", "ws", "wss") and not self._bypassed(host):
            return self.proxy_host
        return host

    def allowed(self, url: str) -> bool:
        if not self.loopback_only or url.startswith(("data:", "blob:", "about:")):
            return True
        return is_loopback(self.destination(url) or "")

    def abort(self, request: Any) -> bool:
        """``PLAYWRIGHT_ABORT_REQUEST`` hook: True aborts the browser's request."""
        if not self.allowed(request.url):
            logger.debug("browser request blocked (loopback only): %s", request.url)
            return True
        return False


def is_loopback(host: str) -> bool:
    host = host.strip("[]").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def proxy_from_env(env: dict[str, str] | os._Environ = os.environ) -> dict[str, str] | None:
    """The proxy variables as Playwright's launch ``proxy`` (one server; ``no_proxy`` → bypass)."""
    get = lambda name: env.get(name) or env.get(name.upper())  # noqa: E731
    server = get("https_proxy") or get("http_proxy") or get("all_proxy")
    if not server:
        return None
    no_proxy = get("no_proxy") or ""
    if no_proxy.strip() == "*":
        return None
    if "://" not in server:
        server = "http://" + server
    return {"server": server, "bypass": ",".join(p.strip() for p in no_proxy.split(",") if p.strip())}


def launch_options(settings: BaseSettings, proxy: dict[str, str] | None) -> dict[str, Any]:
    args = list(BASE_ARGS) + list(settings.getlist("RENDER_BROWSER_ARGS"))
    if settings.getbool("RENDER_LOOPBACK_ONLY"):
        args.append(f"--host-resolver-rules={LOOPBACK_RESOLVER_RULES}")
    options: dict[str, Any] = {"headless": True, "args": args, "chromium_sandbox": False}
    path = settings.get("RENDER_BROWSER_PATH")
    if path:
        options["executable_path"] = path
    if proxy:
        options["proxy"] = proxy
    options.update(settings.getdict("PLAYWRIGHT_LAUNCH_OPTIONS"))
    return options


_GUARD: NetworkGuard | None = None


# ---- the download handler ----------------------------------------------------------------------------------
class RenderDownloadHandler(ScrapyPlaywrightDownloadHandler):
    """scrapy-playwright with a page semaphore, a whole-render timeout and a static fallback.

    With ``_PLAYWRIGHT_THREADED_LOOP`` (on by default here) the browser's I/O runs on its own event
    loop in a thread, so page parsing and inspection on Scrapy's loop do not starve the renders.
    """

    def __init__(self, crawler: Crawler):
        global _GUARD
        super().__init__(crawler)
        settings = crawler.settings
        proxy = proxy_from_env()
        self.config.launch_options = launch_options(settings, proxy)
        self.config.browser_type_name = "chromium"
        self.guard = _GUARD = NetworkGuard(proxy, settings.getbool("RENDER_LOOPBACK_ONLY"))
        if self.abort_request is None:
            self.abort_request = self.guard.abort
        self.enabled = settings.getbool("RENDER_ENABLED", True)
        self.page_timeout = settings.getfloat("RENDER_PAGE_TIMEOUT", 30.0)
        self.fallback = settings.getbool("RENDER_FALLBACK_STATIC", True)
        self.slots = asyncio.Semaphore(max(1, settings.getint("RENDER_MAX_PAGES", 2)))
        self._started = False
        self._start_lock = asyncio.Lock()
        # Scrapy builds one handler per scheme: http and https share the first one's browser.
        self.primary: RenderDownloadHandler = getattr(crawler, "_govinspect_render_handler", None) or self
        crawler._govinspect_render_handler = self.primary

    async def _maybe_launch_in_thread(self) -> None:
        """At engine start, launch the browser in the background only if some site renders."""
        registry = getattr(self._crawler.spider, "registry", None)
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
        """One render, on the browser's loop: a slot, then at most ``page_timeout`` seconds."""
        async with self.slots:
            await self._ensure_started()
            try:
                return await asyncio.wait_for(self._download_request(request), self.page_timeout)
            except BaseException:
                await self._discard_page(request)
                raise

    async def _discard_page(self, request: Request) -> None:
        """Close the failed page; a browser that cannot even do that is restarted."""
        page = request.meta.pop("_gi_page", None)
        if page is None or page.is_closed():
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
                if hasattr(self, "browser"):
                    del self.browser


# ---- evidence ------------------------------------------------------------------------------------------------
def evidence_screenshot(render: RenderInfo | None, name: str, gi_id: str | None = None,
                        margin: int = 40) -> str | None:
    """A screenshot for a finding: the page capture cropped around element ``gi_id`` (with a blue
    frame), or the whole capture when ``gi_id`` is None (site-level findings). Returns its path."""
    if render is None or not render.screenshot or not Path(render.screenshot).is_file():
        return None
    from PIL import Image, ImageDraw

    out_dir = Path(render.extra.get("evidence_dir") or Path(render.screenshot).parent.parent)
    out_dir.mkdir(parents=True, exist_ok=True)
    out = out_dir / f"{_safe(name)}.png"
    with Image.open(render.screenshot) as shot:
        shot = shot.convert("RGB")
        if gi_id is None:  # the whole page: JPEG keeps it small
            out = out.with_suffix(".jpg")
            shot.save(out, quality=80)
            return str(out)
        box = render.boxes.get(gi_id)
        if box is None or box.width < 1 or box.height < 1 or box.y >= shot.height or box.x >= shot.width:
            return None
        left, top = max(0, int(box.x) - margin), max(0, int(box.y) - margin)
        right = min(shot.width, int(box.x + box.width) + margin)
        bottom = min(shot.height, int(box.y + box.height) + margin)
        crop = shot.crop((left, top, right, bottom))
        ImageDraw.Draw(crop).rectangle(
            (int(box.x) - left - 2, int(box.y) - top - 2,
             int(box.x + box.width) - left + 1, int(box.y + box.height) - top + 1), outline=(0, 102, 255), width=2)
        crop.save(out)
    return str(out)


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", name)[:120] or "evidence"
