"""The store pipeline: writes what inspectors and the crawl produce, and folds each site at the end.

Observations are committed one by one (a finding written is a finding kept); link references and
checks, which are only raw material, are batched. When the spider closes, each site is finalized:
inspectors conclude (``site_finished``), the site's completion is decided, and the store folds the
run's observations into findings in one step. Then ``site_finalized`` is sent for indexers.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scrapy import signals

from crawler import signals as gi_signals
from govinspect.facts import Fact, PageFacts
from govinspect.findings import LinkCheck, LinkRef, Observation, PageLinks
from govinspect.store import FindingStore

if TYPE_CHECKING:
    from scrapy import Spider
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)


class StorePipeline:
    def __init__(self, crawler: Crawler, path: Path, batch_size: int, flush_seconds: float):
        self.crawler = crawler
        self.store = FindingStore(path)
        self.batch_size = batch_size
        self.flush_seconds = flush_seconds
        self._refs: list[LinkRef] = []
        self._checks: list[LinkCheck] = []
        self._facts: list[Fact] = []
        self._last_flush = time.monotonic()
        self.run_id: str | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StorePipeline:
        s = crawler.settings
        pipeline = cls(crawler, Path(s.get("GOVINSPECT_STORE")), s.getint("STORE_BATCH_SIZE", 2000),
                       s.getfloat("STORE_FLUSH_SECONDS", 1.0))
        crawler.signals.connect(pipeline.spider_closed, signal=signals.spider_closed)
        return pipeline

    def open_spider(self, spider: Spider | None = None) -> None:
        spider = spider or self.crawler.spider
        recovered = self.store.recover_interrupted({s.id: s for s in spider.registry})
        for run_id in recovered:
            logger.warning("run %s was interrupted; its findings were kept, none marked fixed", run_id)
        self.run_id = spider.run_id
        self.store.start_run(self.run_id, spider.as_of.isoformat(), {"sites": len(spider.registry)},
                             spider.registry)

    def process_item(self, item: Any, spider: Spider | None = None) -> Any:
        if isinstance(item, Observation):
            site = (spider or self.crawler.spider).registry.get(item.site_id)
            self.store.add_observation(self.run_id, item, site.url if site else item.page_url)
            if self.crawler.stats is not None:
                self.crawler.stats.inc_value("govinspect/observations")
        elif isinstance(item, PageLinks):
            self._refs.extend(item.refs)
        elif isinstance(item, LinkRef):
            self._refs.append(item)
        elif isinstance(item, LinkCheck):
            self._checks.append(item)
        elif isinstance(item, PageFacts):
            self._facts.extend(item.facts)
        elif isinstance(item, Fact):
            self._facts.append(item)
        if len(self._refs) + len(self._checks) + len(self._facts) >= self.batch_size or (
            time.monotonic() - self._last_flush > self.flush_seconds
        ):
            self.flush()
        return item

    def flush(self) -> None:
        if self._refs:
            self.store.add_refs(self.run_id, self._refs)
            self._refs = []
        if self._checks:
            self.store.add_checks(self.run_id, self._checks)
            self._checks = []
        if self._facts:
            self.store.add_facts(self.run_id, self._facts)
            self._facts = []
        self._last_flush = time.monotonic()

    def spider_closed(self, spider: Spider, reason: str) -> None:
        """Finalize every site of the run: conclude, decide completion, fold, announce."""
        if self.run_id is None:
            return
        self.flush()
        view = self.store.view(self.run_id)
        status = "finished" if reason == "finished" else "incomplete"
        for site in spider.registry:
            progress = spider.progress[site.id]
            try:
                for obs in spider.inspectors.site_finished(site, view):
                    self.store.add_observation(self.run_id, obs, site.url)
            except Exception:
                logger.exception("concluding site %s failed; folding what was observed", site.id)
            completed, why = progress.completion(reason)
            self.store.update_site_stats(self.run_id, site.id, progress.pages, progress.errors,
                                         progress.blocked + view.blocked_targets(site.id))
            counts = self.store.finalize_site(self.run_id, site, completed, why)
            logger.info("site %s finalized (%s): %s", site.id, why, counts)
            self.crawler.signals.send_catch_log(
                gi_signals.site_finalized, site=site, run_id=self.run_id, store=self.store, counts=counts
            )
        self.store.end_run(self.run_id, status)
        self.crawler.signals.send_catch_log(
            gi_signals.run_finished, run_id=self.run_id, store=self.store, status=status
        )
        self.store.close()
