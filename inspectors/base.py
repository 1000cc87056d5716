"""The inspector interface and the manager that runs the configured inspectors."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any, Protocol

from scrapy.exceptions import NotConfigured
from scrapy.utils.conf import build_component_list
from scrapy.utils.misc import build_from_crawler, load_object

from govinspect.findings import LinkCheck, LinkRef, Observation, PageLinks

if TYPE_CHECKING:
    from lxml.html import HtmlElement
    from scrapy.crawler import Crawler

    from govinspect.registry import Registry, Site

logger = logging.getLogger(__name__)

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
    ``screenshot`` is the full-page capture; ``crawler.rendering.evidence_screenshot`` crops it.
    """

    boxes: dict[str, ElementBox] = field(default_factory=dict)
    screenshot: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


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


@dataclass
class RunContext:
    """Facts about the run that inspectors may use: the registry and the inspection date."""

    run_id: str
    as_of: date
    registry: Registry


class RunView(Protocol):
    """Read access to a run's stored data, for inspectors that conclude at the end of a site."""

    run_id: str

    def check(self, url: str) -> LinkCheck | None: ...

    def broken_refs(self, site_id: str) -> Iterable[tuple[LinkCheck, list[LinkRef]]]: ...


class Inspector:
    """Base class: override what applies. Raise ``NotConfigured`` in ``__init__`` to switch off."""

    #: the setting that switches this inspector off when False (e.g. ``INSPECT_ADS_ENABLED``)
    enabled_setting: str | None = None

    def __init__(self, crawler: Crawler):
        self.crawler = crawler
        self.settings = crawler.settings
        if self.enabled_setting and not self.settings.getbool(self.enabled_setting, True):
            raise NotConfigured(f"{self.enabled_setting} is off")

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Inspector:
        return cls(crawler)

    def inspect_page(self, page: Page) -> Iterable[Observation | LinkRef | PageLinks]:
        return ()

    def wants_attachment(self, link: Link, page: Page) -> bool:
        """Return True to have the crawl download this link and call :meth:`inspect_attachment`."""
        return False

    def inspect_attachment(self, attachment: Attachment) -> Iterable[Observation]:
        return ()

    def site_finished(self, site: Site, view: RunView) -> Iterable[Observation]:
        """Called once per site when the run ends, before its findings are folded."""
        return ()


class InspectorManager:
    """Builds the inspectors named in ``INSPECTORS`` and runs them, isolating their failures."""

    def __init__(self, inspectors: list[Inspector], crawler: Crawler | None = None):
        self.inspectors = inspectors
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> InspectorManager:
        inspectors = []
        for path in build_component_list(crawler.settings.getwithbase("INSPECTORS")):
            try:
                inspectors.append(build_from_crawler(load_object(path), crawler))
            except NotConfigured as exc:
                logger.info("inspector %s disabled: %s", path, exc)
        logger.info("inspectors enabled: %s", ", ".join(type(i).__name__ for i in inspectors))
        return cls(inspectors, crawler)

    def _guard(self, inspector: Inspector, what: str, url: str, results: Iterable) -> Iterator:
        """Run one inspector; a bug in it costs that inspector's results for one page, not the run."""
        try:
            yield from results or ()
        except Exception:
            logger.exception("inspector %s failed on %s %s", type(inspector).__name__, what, url)
            if self.crawler is not None and self.crawler.stats is not None:
                self.crawler.stats.inc_value("govinspect/inspector_errors")

    def inspect_page(self, page: Page) -> Iterator[Observation | LinkRef]:
        for inspector in self.inspectors:
            yield from self._guard(inspector, "page", page.url, _lazy(inspector.inspect_page, page))

    def wanted_attachments(self, page: Page) -> list[Link]:
        wanted = []
        for link in page.links:
            for inspector in self.inspectors:
                try:
                    if inspector.wants_attachment(link, page):
                        wanted.append(link)
                        break
                except Exception:
                    logger.exception("inspector %s failed choosing attachments", type(inspector).__name__)
        return wanted

    def inspect_attachment(self, attachment: Attachment) -> Iterator[Observation]:
        for inspector in self.inspectors:
            yield from self._guard(
                inspector, "attachment", attachment.url, _lazy(inspector.inspect_attachment, attachment)
            )

    def site_finished(self, site: Site, view: RunView) -> Iterator[Observation]:
        for inspector in self.inspectors:
            yield from self._guard(inspector, "site", site.url, _lazy(inspector.site_finished, site, view))


def _lazy(func, *args) -> Iterator:
    """Call ``func`` inside the generator so exceptions raised before the first yield are caught."""
    yield from func(*args) or ()
