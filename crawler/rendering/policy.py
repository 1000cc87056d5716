"""Which pages to render (registry ``render`` field), and rendered responses as ``RenderInfo``."""


from __future__ import annotations

import hashlib
import logging
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scrapy import Request

from govinspect.vocabulary import ElementBox, RenderInfo

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.http import Response
    from scrapy.settings import BaseSettings

    from govinspect.registry import Site

from crawler.rendering.browser import MEASURED

logger = logging.getLogger(__name__)

# The downloader slot of renders that download no document (Scrapy's ``download_slot`` meta; sized by
# ``DOWNLOAD_SLOTS`` in settings/).
RENDER_SLOT = "gi-render"
RENDER_SLOT_META = "download_slot"

# ---- policy ------------------------------------------------------------------------------------------
_SPA_ROOT = re.compile(r"<(?:div|main)[^>]+id=[\"'](?:app|root|__next|__nuxt|vue-app)[\"'][^>]*>\s*</(?:div|main)>",
                       re.IGNORECASE)
_SCRIPT_FILL = re.compile(
    r"\$\.(?:ajax|get|getJSON|post)\s*\(|\.load\s*\(\s*['\"]|fetch\s*\(|XMLHttpRequest|document\.write\s*\(|"
    r"innerHTML\s*=|template\s*\(|\.render\s*\(", re.IGNORECASE)
# An empty container (cheap to find), then whether its id/class names a list.
_EMPTY_CONTAINER = re.compile(r"<(ul|ol|tbody|div|table)\b([^>]*)>\s*</\1>", re.IGNORECASE)
_LIST_NAME = re.compile(r"(?:id|class)=[\"'][^\"']*(?:list|news|content|data|item|article|info)", re.IGNORECASE)


def _empty_list(html: str) -> bool:
    return any(_LIST_NAME.search(m.group(2)) for m in _EMPTY_CONTAINER.finditer(html))


_SCRIPT_TAG = re.compile(r"<script\b", re.IGNORECASE)
_INLINE_SCRIPT = re.compile(r"<script\b[^>]*>(.*?)</script>", re.IGNORECASE | re.DOTALL)
# Markup (scripts and styles whole) or a run of text: counted until enough text is seen.
_MARKUP_OR_TEXT = re.compile(r"<script\b.*?</script>|<style\b.*?</style>|<[^>]*>|([^<]+)", re.IGNORECASE | re.DOTALL)


def _little_text(html: str, limit: int = 80) -> bool:
    """True when the page's visible text is shorter than ``limit`` characters; stops at the limit."""
    seen = 0
    for match in _MARKUP_OR_TEXT.finditer(html):
        text = match.group(1)
        if text:
            seen += len("".join(text.split()))
            if seen >= limit:
                return False
    return True


def looks_script_built(html: str) -> bool:
    """Static HTML whose content arrives by script: an empty app root, or empty list containers
    next to code that fills them, or almost no text but scripts.

    Runs on every static page of ``auto`` sites, so the cheap tests come first: no script, no render.
    """
    if not _SCRIPT_TAG.search(html):
        return False
    if _SPA_ROOT.search(html):
        return True
    if not any(_SCRIPT_FILL.search(m.group(1)) for m in _INLINE_SCRIPT.finditer(html)):
        return False
    return _empty_list(html) or _little_text(html)


class RenderPolicy:
    """Decides per request whether to render, and turns rendered responses into ``RenderInfo``."""

    def __init__(self, settings: BaseSettings):
        self.enabled = settings.getbool("RENDER_ENABLED")
        self.max_elements = settings.getint("RENDER_MAX_ELEMENTS")
        self.settle_ms = settings.getint("RENDER_SETTLE_MS")
        self.screenshots = settings.getbool("RENDER_SCREENSHOTS")
        self.screenshots_all = settings.getbool("RENDER_SCREENSHOTS_ALL")
        self.shot_max_height = settings.getint("RENDER_SCREENSHOT_MAX_HEIGHT")
        self.capture_images = settings.getint("RENDER_CAPTURE_IMAGES")
        self.image_maxsize = settings.getint("IMAGE_MAXSIZE")
        self.screenshot_dir = screenshot_dir(settings)
        self.redact = settings.getbool("RENDER_REDACT_PII")

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RenderPolicy:
        return cls(crawler.settings)

    def prepare(self, request: Request, site: Site, homepage: bool, force: bool = False,
                static: Response | None = None, frames: list[str] | None = None) -> Request:
        """Mark a page request for rendering when ``force`` says so.

        Every page is fetched statically first, whatever the site's ``render`` (see
        :meth:`wants_rerender`), so a site's links are followed without waiting for the browser.
        ``static``: the page's static response, already fetched: the browser renders that body instead
        of downloading the page again, and the render takes a downloader slot of its own
        (``RENDER_SLOT``), not the host's: a render waiting for the browser never holds back the
        site's static crawl. ``frames``: URLs of the page's frames that the crawl fetches itself: the
        browser gets empty documents for them (``pool.render`` serves both).
        """
        if not force:
            return request
        request.meta.update(self.render_meta(request.url, homepage))
        if static is not None:
            request.meta["gi_static"] = static_document(static)
            request.meta[RENDER_SLOT_META] = RENDER_SLOT
        if frames:
            request.meta["gi_frames"] = frames
        return request.replace(dont_filter=True)

    def render_meta(self, url: str, homepage: bool = False) -> dict[str, Any]:
        options = {
            "homepage": homepage, "shot_all": self.screenshots_all,
            "selector": MEASURED, "max": self.max_elements, "settle_ms": self.settle_ms,
            "capture_images": self.capture_images, "image_maxsize": self.image_maxsize,
            "shot": str(self.screenshot_dir / "pages" / (_digest(url) + ".jpg")) if self.screenshots else None,
            "shot_max_height": self.shot_max_height, "redact": self.redact,
        }
        # "playwright" routes the request to the render handler; "gi_render" says how to measure it.
        return {"playwright": True, "gi_render": options}

    def wants_rerender(self, site: Site, response: Response) -> bool:
        """Pages fetched statically that are fetched again rendered: every page of an ``always`` site;
        of an ``auto`` site, the homepage and static pages that look script-built.

        The spider follows the static page's links at once and inspects only the rendered copy, so a
        site's crawl never waits for the browser.
        """
        meta = response.meta
        if (not self.enabled or site.render == "never" or "playwright" in response.flags
                or meta.get("playwright") or meta.get("gi_render_failed")):
            return False
        if site.render == "always" or meta.get("homepage"):
            return True
        if site.render != "auto":
            return False
        try:
            return looks_script_built(response.text)
        except (AttributeError, ValueError):
            return False

    def render_info(self, response: Response) -> RenderInfo | None:
        if "playwright" not in response.flags:
            return None
        result = response.meta.get("gi_render_result") or {}
        boxes = {
            key: ElementBox(x=v[0], y=v[1], width=v[2], height=v[3], visible=bool(v[4]),
                            natural_width=v[5], natural_height=v[6], hidden_reason=v[7], object_fit=v[8])
            for key, v in (result.get("boxes") or {}).items()
        }
        return RenderInfo(
            boxes=boxes, screenshot=result.get("screenshot"),
            extra={"images": result.get("images") or {}, "evidence_dir": str(self.screenshot_dir),
                   "document_size": (result.get("width"), result.get("height")),
                   "render_seconds": result.get("seconds"), "redactions": result.get("redactions") or []},
        )


def static_document(response: Response) -> dict[str, Any]:
    """What the browser needs to render an already-fetched page: URL, status, content type, body."""
    return {
        "url": response.url, "status": response.status,
        "content_type": response.headers.get(b"Content-Type", b"text/html").decode("latin-1"),
        "body": response.body,
    }


def screenshot_dir(settings: BaseSettings) -> Path:
    """Screenshots live next to the store: ``<store folder>/screenshots``."""
    store = settings.get("GOVINSPECT_STORE")
    return Path(store).expanduser().resolve().parent / "screenshots"


def _digest(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8", "replace")).hexdigest()[:20]

