"""Writes what outlives a run: availability probes and per-run script/iframe hosts (govinspect/monitoring.py).

Inspectors yield ``Probe`` and ``ResourceUse`` items; this pipeline stores them at once, before the
store pipeline sees the page's work marker (order 290 < 300), so whoever concludes a site finds
them. A homepage that could not be fetched at all reaches no inspector: its failed ``LinkCheck`` is
recorded here as the crawl's probe of that site.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from scrapy.exceptions import NotConfigured

from govinspect import monitoring
from govinspect.findings import LinkCheck
from govinspect.monitoring import Probe, ResourceUse
from govinspect.store import FindingStore
from govinspect.urls import normalize_url
from govinspect.vocabulary import RunContext

if TYPE_CHECKING:
    from scrapy import Spider
    from scrapy.crawler import Crawler


class MonitorPipeline:
    def __init__(self, crawler: Crawler, context: RunContext):
        self.crawler = crawler
        self.run_id = context.run_id
        self.homepages = {normalize_url(s.url): s.id for s in context.registry}
        self.store: FindingStore | None = None
        self._failed_homepages: set[str] = set()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> MonitorPipeline:
        context = RunContext.of(crawler.settings)
        if context is None:
            raise NotConfigured("no run context (GOVINSPECT_RUN): crawls run through govinspect.api.run_crawl")
        return cls(crawler, context)

    def open_spider(self, spider: Spider | None = None) -> None:
        self.store = FindingStore.shared(self.crawler.settings)

    def close_spider(self, spider: Spider | None = None) -> None:
        if self.store is not None:
            self.store.close()
            self.store = None

    def process_item(self, item: Any, spider: Spider | None = None) -> Any:
        if self.store is None:
            return item
        if isinstance(item, Probe):
            item.run_id = item.run_id or self.run_id
            monitoring.add_probes(self.store, [item])
        elif isinstance(item, ResourceUse):
            homepage = normalize_url(item.page_url) in self.homepages
            monitoring.add_resource_use(self.store, self.run_id, item, homepage)
        elif isinstance(item, LinkCheck) and not item.ok and not item.blocked:
            site_id = self.homepages.get(item.target_url)
            if site_id and site_id not in self._failed_homepages and (item.status is None or item.status >= 500):
                # one crawl probe per site and process: other sites' link checks of this homepage are not probes
                self._failed_homepages.add(site_id)
                outcome = item.error or f"http-{item.status}"
                monitoring.add_probes(self.store, [Probe(site_id, item.target_url, False, outcome, item.status,
                                                         source="crawl", run_id=self.run_id)])
        return item
