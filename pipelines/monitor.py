"""Writes what outlives a run: availability probes and per-run script/iframe hosts (govinspect/monitoring.py).

Inspectors yield ``Probe`` and ``ResourceUse`` items; this pipeline stores them at once (the
conclusions at the end of each site read them). A homepage that could not be fetched at all reaches
no inspector: its failed ``LinkCheck`` is recorded here as the crawl's probe of that site.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from govinspect import monitoring
from govinspect.findings import LinkCheck
from govinspect.monitoring import Probe, ResourceUse
from govinspect.store import FindingStore
from govinspect.urls import normalize_url

if TYPE_CHECKING:
    from scrapy import Spider
    from scrapy.crawler import Crawler


class MonitorPipeline:
    def __init__(self, crawler: Crawler, path: Path):
        self.crawler = crawler
        self.path = path
        self.store: FindingStore | None = None
        self.run_id: str | None = None
        self.homepages: dict[str, str] = {}
        self._failed_homepages: set[str] = set()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> MonitorPipeline:
        return cls(crawler, Path(crawler.settings.get("GOVINSPECT_STORE")))

    def open_spider(self, spider: Spider | None = None) -> None:
        spider = spider or self.crawler.spider
        self.store = FindingStore(self.path)
        self.run_id = spider.run_id
        self.homepages = {normalize_url(s.url): s.id for s in spider.registry}

    def close_spider(self, spider: Spider | None = None) -> None:
        if self.store is not None:
            self.store.close()
            self.store = None

    def process_item(self, item: Any, spider: Spider | None = None) -> Any:
        if isinstance(item, Probe):
            item.run_id = item.run_id or self.run_id
            self._write(lambda db: monitoring.add_probes(db, [item]))
        elif isinstance(item, ResourceUse):
            homepage = normalize_url(item.page_url) in self.homepages
            self._write(lambda db: monitoring.add_resource_use(db, self.run_id, item, homepage))
        elif isinstance(item, LinkCheck) and not item.ok and not item.blocked:
            site_id = self.homepages.get(item.target_url)
            if site_id and site_id not in self._failed_homepages and (item.status is None or item.status >= 500):
                # one crawl probe per site and run: other sites' link checks of this homepage are not probes
                self._failed_homepages.add(site_id)
                outcome = item.error or f"http-{item.status}"
                probe = Probe(site_id, item.target_url, False, outcome, item.status, source="crawl",
                              run_id=self.run_id)
                self._write(lambda db: monitoring.add_probes(db, [probe]))
        return item

    def _write(self, action) -> None:
        if self.store is None:
            return
        with self.store.db:
            action(self.store.db)
