"""The shared vocabulary of the crawl and the inspectors: pages, links, attachments, render info.

The crawler builds these objects and the inspectors read them; neither side imports the other, they
meet here. This module imports the standard library only (plus the finding items of
``govinspect.findings``, which are themselves pure data), so any side may depend on it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any, Protocol

from govinspect.findings import LinkCheck, LinkRef, Observation, PageLinks

if TYPE_CHECKING:
    from lxml.html import HtmlElement

    from govinspect.registry import Registry, Site
    from govinspect.runstate.base import RunState

__all__ = [
    "RenderWishes", "RenderedImage",
    "ATTACHMENT", "PAGE", "RESOURCE", "Attachment", "ElementBox", "FetchWish", "Fetched", "Link", "LinkCheck",
    "LinkRef", "Observation", "Page", "PageLinks", "RUN_CONTEXT_SETTING", "RenderInfo", "RunContext", "RunView",
]

# What links are, for the crawl: pages are followed (when in scope), the rest only checked.
PAGE, RESOURCE, ATTACHMENT = "page", "resource", "attachment"


@dataclass
class Link:
    """One link found on a page: its absolute URL, the tag that carried it and its text."""

    url: str
    tag: str
    text: str = ""
    kind: str = PAGE
    element: HtmlElement | None = field(default=None, repr=False)
    #: the file format the crawl recognised (``govinspect.formats`` name: from the URL's extension or
    #: ``filename=`` argument, or from a link check's headers); "" when unknown
    format: str = ""


@dataclass
class ElementBox:
    """Rendered geometry of an element (from the browser): CSS pixels and visibility.

    ``x``/``y`` are document (page) coordinates, so they index the full-page screenshot directly.
    ``hidden_reason`` says why ``visible`` is False: ``display:none``, ``visibility:hidden``,
    ``opacity:0``, ``font-size:0``, ``zero-size``, ``off-screen``, ``clipped`` (an ancestor with
    overflow hidden and no height or width) or ``marquee`` (inside a 1-pixel marquee).
    ``object_fit`` is the computed CSS ``object-fit`` of images (``fill`` stretches, others keep aspect).
    """

    x: float
    y: float
    width: float
    height: float
    visible: bool = True
    natural_width: int | None = None
    natural_height: int | None = None
    hidden_reason: str | None = None
    object_fit: str | None = None


@dataclass
class RenderInfo:
    """What a browser render adds to a page: geometry by element id and a screenshot path.

    ``boxes`` is keyed by the ``data-gi-id`` attribute the browser stamped on every ``img``, ``a``,
    ``area``, ``iframe`` and ``input[type=image]`` before measuring; the page's tree is parsed from the
    DOM after stamping, so ``page.rendered.boxes.get(el.get("data-gi-id"))`` is that element's box.
    ``screenshot`` is the full-page capture; ``inspectors.evidence.evidence_screenshot`` crops it.
    """

    boxes: dict[str, ElementBox] = field(default_factory=dict)
    screenshot: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class RenderedImage:
    """An ``img`` as the browser saw it, before the page is inspected: what inspectors answer
    :class:`RenderWishes` about. ``text`` is the short text around it (caption, link title);
    ``width``/``height`` its rendered box, ``natural_*`` its intrinsic size (0: not loaded)."""

    url: str
    alt: str = ""
    title: str = ""
    text: str = ""
    width: float = 0.0
    height: float = 0.0
    natural_width: int = 0
    natural_height: int = 0
    visible: bool = True


class RenderWishes(Protocol):
    """What an inspector wants from each render, asked on the browser's side before inspection.

    A render hands over the bytes of an image only if some inspector wants them (the others the
    inspector would never examine, or has analysed already, stay in the browser), and captures the
    page only if it is a homepage or some inspector may need the capture as evidence. Inspectors
    answer the ``govinspect.signals.render_wishes`` signal with an object like this. Called on the
    browser's thread: answers must only read the inspector's state.
    """

    def wants_image_body(self, image: RenderedImage) -> bool: ...

    def wants_evidence(self, image: RenderedImage) -> bool: ...


@dataclass
class Page:
    """A fetched, decoded and parsed page as inspectors see it."""

    url: str
    site: Site
    status: int
    headers: dict[str, str]
    text: str
    tree: HtmlElement
    links: list[Link]
    depth: int = 0
    is_homepage: bool = False
    referer: str | None = None
    link_text: str | None = None
    rendered: RenderInfo | None = None
    run: RunContext | None = None
    latency: float | None = None  # seconds from request to answer (the crawl's homepage fetch is a probe)
    #: documents the page pulls in that a visitor sees as part of it (homepages): same-site iframe
    #: documents and what same-site scripts ``document.write``, as HTML, by URL
    companions: dict[str, str] = field(default_factory=dict)


@dataclass
class Attachment:
    """A downloaded attachment (xlsx, pdf, …) with the page that linked it."""

    url: str
    site: Site
    body: bytes
    content_type: str
    referer: str
    link_text: str = ""
    truncated: bool = False
    run: RunContext | None = None
    #: the ``Content-Disposition`` header as received (latin-1 text of its bytes; may carry GBK bytes)
    disposition: str = ""


@dataclass
class FetchWish:
    """A URL an inspector wants fetched once per run (GET, at most ``max_bytes``), outside the crawl:
    an external link's landing page, a URL that cannot exist (to learn a site's error page).

    The crawl fetches it through its own downloader (politeness, proxies, retries) and hands the
    answer to ``inspect_fetched`` as a :class:`Fetched`; ``purpose`` tells the inspectors whose it is.
    """

    url: str
    purpose: str
    max_bytes: int
    #: ahead of the crawl's ordinary pages (0 minus depth): until the answer is in, every page that
    #: links the URL waits for it (in the run state: for a fleet, a Redis round trip per page)
    priority: int = 10


@dataclass
class Fetched:
    """The answer to a :class:`FetchWish`: status, final URL after redirects, decoded text (HTML only)."""

    url: str
    final_url: str
    site: Site
    purpose: str
    referer: str
    status: int | None
    headers: dict[str, str]
    text: str
    error: str | None = None
    run: RunContext | None = None


#: the setting that carries the run's :class:`RunContext` to every component of a crawler
RUN_CONTEXT_SETTING = "GOVINSPECT_RUN"


@dataclass(repr=False, eq=False)
class RunContext:
    """Facts about the run that components may use: the registry, the inspection date, the run state.

    Built by the run API (:func:`govinspect.api.run_crawl`, or a fleet worker) and handed to the
    crawler's components through the ``GOVINSPECT_RUN`` setting: ``RunContext.of(crawler.settings)``.
    Components never read these facts off the spider. ``owner`` is True when this process does the
    whole run (single-machine mode) and may therefore fold what is left when its crawl ends; fleet
    workers leave that to the run's end (``RunState.claim_run_end``).
    """

    run_id: str
    as_of: date
    registry: Registry
    state: RunState | None = None
    max_pages: int | None = None
    owner: bool = True

    @staticmethod
    def of(settings: Any) -> RunContext | None:
        """The run context a crawler's settings carry (None outside a govinspect run)."""
        return settings.get(RUN_CONTEXT_SETTING)

    def __deepcopy__(self, memo: dict) -> RunContext:
        # Scrapy deep-copies settings for every crawler: the run context is shared, never copied.
        return self

    def __repr__(self) -> str:  # Scrapy logs overridden settings: keep it one short line
        return f"RunContext(run_id={self.run_id!r}, as_of={self.as_of}, sites={len(list(self.registry))})"


class RunView(Protocol):
    """Read access to a run's stored data, for inspectors that conclude at the end of a site."""

    run_id: str

    def check(self, url: str) -> LinkCheck | None: ...

    def broken_refs(self, site_id: str) -> Iterable[tuple[LinkCheck, list[LinkRef]]]: ...

    # state across runs (govinspect/monitoring.py): availability probes, per-run script/iframe hosts
    def probes(self, site_id: str, since: str, until: str) -> list[dict[str, Any]]: ...

    def resource_hosts(self, site_id: str, run_id: str | None = None) -> dict[str, dict[str, str]]: ...

    def previous_complete_run(self, site_id: str) -> str | None: ...

    def observed(self, site_id: str, rule: str) -> list[dict[str, Any]]: ...

    def referrers(self, site_id: str, target_url: str, limit: int = 20) -> list[tuple[str, str]]: ...

    def facts(self, site_id: str, kind: str) -> list[Any]:
        """Page facts (``govinspect.facts.Fact``) of one kind stored in this run for a site."""
        ...
