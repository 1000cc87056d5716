"""The inspector interface and the manager that runs the configured inspectors."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

from scrapy.exceptions import NotConfigured
from scrapy.utils.conf import build_component_list
from scrapy.utils.misc import build_from_crawler, load_object

from govinspect import signals as gi_signals
from govinspect.completeness import mark_incomplete
from govinspect.findings import LinkRef, Observation, PageLinks
from govinspect.vocabulary import (  # re-exported: inspectors take the vocabulary from here or from there
    ATTACHMENT,
    PAGE,
    RESOURCE,
    Attachment,
    ElementBox,
    Fetched,
    FetchWish,
    Link,
    Page,
    RenderInfo,
    RunContext,
    RunView,
)

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

    from govinspect.registry import Site

__all__ = [
    "ATTACHMENT", "PAGE", "RESOURCE", "Attachment", "ElementBox", "FetchWish", "Fetched", "Inspector",
    "InspectorManager", "Link", "Page", "RenderInfo", "RunContext", "RunView",
]

logger = logging.getLogger(__name__)


class Inspector:
    """Base class: override what applies. Raise ``NotConfigured`` in ``__init__`` to switch off."""

    #: the setting that switches this inspector off when False (e.g. ``INSPECT_ADS_ENABLED``)
    enabled_setting: str | None = None

    def __init__(self, crawler: Crawler):
        self.crawler = crawler
        self.settings = crawler.settings
        if self.enabled_setting and not self.settings.getbool(self.enabled_setting):
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

    def wanted_fetches(self, page: Page) -> Iterable[FetchWish]:
        """URLs to fetch once per run (not crawled as pages); answers come to :meth:`inspect_fetched`."""
        return ()

    def inspect_fetched(self, fetched: Fetched) -> Iterable[Observation]:
        """The answer to a fetch some inspector wished for (check ``fetched.purpose``)."""
        return ()

    def site_finished(self, site: Site, view: RunView) -> Iterable[Observation]:
        """Called once per site and run when the run is done with the site, before its findings are folded.

        It may run in another process than the one that saw the site's pages: keep what it needs in
        the run state (``RunContext.of(self.settings).state``), not in ``self``."""
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
        manager = cls(inspectors, crawler)
        crawler.signals.connect(manager.conclude, signal=gi_signals.site_concluding)
        return manager

    def _guard(self, inspector: Inspector, what: str, url: str, results: Iterable,
               site_id: str | None = None) -> Iterator:
        """Run one inspector; a bug in it costs that inspector's results for one page, not the run —
        but the site is then incomplete: a finding it would have seen again must not be marked fixed."""
        try:
            yield from results or ()
        except Exception as exc:
            logger.exception("inspector %s failed on %s %s", type(inspector).__name__, what, url)
            stats = self.crawler.stats if self.crawler is not None else None
            if stats is not None:
                stats.inc_value("govinspect/inspector_errors")
            mark_incomplete(self._run_state(), site_id, f"inspector {type(inspector).__name__} failed on {what} "
                                                         f"{url}: {type(exc).__name__}")

    def _run_state(self):
        """The run's shared state (where incompleteness is marked), when running inside a run."""
        context = RunContext.of(self.crawler.settings) if self.crawler is not None else None
        return context.state if context is not None else None

    def inspect_page(self, page: Page) -> Iterator[Observation | LinkRef]:
        for inspector in self.inspectors:
            yield from self._guard(inspector, "page", page.url, _lazy(inspector.inspect_page, page), page.site.id)

    def _choosers(self) -> list[Inspector]:
        """The inspectors that may want attachments (the base class wants none): asking the others about
        every link of every page was ~links × inspectors calls for nothing."""
        base = Inspector.wants_attachment
        return [i for i in self.inspectors if getattr(type(i), "wants_attachment", base) is not base]

    def wanted_attachments(self, page: Page) -> list[Link]:
        wanted = []
        choosers = self._choosers()
        if not choosers:
            return wanted
        for link in page.links:
            for inspector in choosers:
                try:
                    if inspector.wants_attachment(link, page):
                        wanted.append(link)
                        break
                except Exception:
                    logger.exception("inspector %s failed choosing attachments", type(inspector).__name__)
                    mark_incomplete(self._run_state(), page.site.id,
                                    f"inspector {type(inspector).__name__} failed choosing attachments on {page.url}")
        return wanted

    def inspect_attachment(self, attachment: Attachment) -> Iterator[Observation]:
        for inspector in self.inspectors:
            yield from self._guard(
                inspector, "attachment", attachment.url, _lazy(inspector.inspect_attachment, attachment),
                attachment.site.id,
            )

    def wanted_fetches(self, page: Page) -> list[FetchWish]:
        wanted: list[FetchWish] = []
        for inspector in self.inspectors:
            wanted.extend(self._guard(inspector, "fetch wishes", page.url, _lazy(inspector.wanted_fetches, page)))
        return wanted

    def inspect_fetched(self, fetched: Fetched) -> Iterator[Observation]:
        for inspector in self.inspectors:
            yield from self._guard(inspector, "fetched", fetched.url, _lazy(inspector.inspect_fetched, fetched))

    async def inspect_attachment_async(self, attachment: Attachment) -> list[Observation]:
        """:meth:`inspect_attachment` for inspectors that can work off the crawl's thread
        (``inspect_attachment_async``, e.g. scanning in a process pool); the others run inline."""
        out: list[Observation] = []
        for inspector in self.inspectors:
            run = getattr(inspector, "inspect_attachment_async", None)
            if run is None:
                out.extend(self._guard(inspector, "attachment", attachment.url,
                                       _lazy(inspector.inspect_attachment, attachment), attachment.site.id))
                continue
            try:
                out.extend(await run(attachment))
            except Exception as exc:
                logger.exception("inspector %s failed on attachment %s", type(inspector).__name__, attachment.url)
                if self.crawler is not None and self.crawler.stats is not None:
                    self.crawler.stats.inc_value("govinspect/inspector_errors")
                mark_incomplete(self._run_state(), attachment.site.id,
                                f"inspector {type(inspector).__name__} failed on attachment {attachment.url}: "
                                f"{type(exc).__name__}")
        return out

    def site_finished(self, site: Site, view: RunView) -> Iterator[Observation]:
        for inspector in self.inspectors:
            yield from self._guard(inspector, "site", site.url, _lazy(inspector.site_finished, site, view), site.id)

    def conclude(self, site: Site, view: RunView) -> list[Observation]:
        """``site_concluding`` receiver: the finaliser (in whatever process folds the site) asks."""
        return list(self.site_finished(site, view))


def _lazy(func, *args) -> Iterator:
    """Call ``func`` inside the generator so exceptions raised before the first yield are caught."""
    yield from func(*args) or ()
