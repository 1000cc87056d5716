"""Scrapy extension that mirrors each finalized site's findings and observations into the index.

The store pipeline folds a site's observations into findings and then sends ``site_finalized``; this
extension sends what changed for that site (new, seen again, fixed, reopened) plus that run's
observations. It reads from the store, never from items, so the index can only hold what SQLite
holds. When the engine is down it warns once, stops trying for the rest of the run, and leaves the
gap to ``govinspect es sync`` (the sync tables remember exactly what is missing).

Enable with ``EXTENSIONS = {"pipelines.search_index.SearchIndexExtension": 600}`` and
``ELASTICSEARCH_URL`` (or env ``GOVINSPECT_ES_URL``); without a URL it is not loaded.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Any

from scrapy.exceptions import NotConfigured

from govinspect import signals as gi_signals
from govinspect.search.adapter import EngineError, EngineUnavailable, SearchEngine
from govinspect.search.config import SearchConfig
from govinspect.search.indexer import Indexer
from govinspect.search.sync import Syncer

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

    from govinspect.registry import Site
    from govinspect.store import FindingStore

logger = logging.getLogger(__name__)


class SearchIndexExtension:
    """Indexes per finalized site; one catch-up sync when the run finishes."""

    def __init__(self, config: SearchConfig, retries: int, backoff: float):  # ELASTICSEARCH_RETRIES/_BACKOFF
        self.config = config
        self.retries = retries
        self.backoff = backoff
        self.engine: SearchEngine | None = None
        self.syncer: Syncer | None = None
        self.down_since: float | None = None
        self.totals = {"findings": 0, "observations": 0, "failed": 0}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SearchIndexExtension:
        config = SearchConfig.load(crawler.settings)
        if not config.enabled:
            # the default: say so quietly (Scrapy logs a NotConfigured message as a WARNING)
            logger.info("no ELASTICSEARCH_URL / GOVINSPECT_ES_URL: findings stay in the store only")
            raise NotConfigured
        ext = cls(config, crawler.settings.getint("ELASTICSEARCH_RETRIES"),
                  crawler.settings.getfloat("ELASTICSEARCH_BACKOFF"))
        crawler.signals.connect(ext.site_finalized, signal=gi_signals.site_finalized)
        crawler.signals.connect(ext.run_finished, signal=gi_signals.run_finished)
        return ext

    def _syncer(self, store: FindingStore) -> Syncer:
        if self.syncer is None or self.syncer.store is not store:
            self.engine = self.engine or SearchEngine(self.config)
            indexer = Indexer(self.engine, retries=self.retries, backoff=self.backoff)
            self.syncer = Syncer(store, self.engine, self.config, indexer)
        return self.syncer

    def _index(self, store: FindingStore, what: str, **scope: Any) -> None:
        if self.down_since is not None:
            return
        try:
            counts = self._syncer(store).sync(**scope)
        except (EngineUnavailable, EngineError, PermissionError) as exc:
            self.down_since = time.monotonic()
            logger.warning(
                "search engine %s not reachable while indexing %s (%s); findings are safe in the store "
                "and `govinspect es sync` will send them", self.config.url, what, exc,
            )
            return
        for key in self.totals:
            self.totals[key] += counts.get(key, 0)
        logger.info("indexed %s: %s", what, counts)

    def site_finalized(self, site: Site, run_id: str, store: FindingStore, counts: dict[str, int]) -> None:
        self._index(store, f"site {site.id}", site_id=site.id, run_id=run_id)

    def run_finished(self, run_id: str, store: FindingStore, status: str) -> None:
        """Last chance before the store closes: retry once if the engine came back, then catch up."""
        self.down_since = None
        self._index(store, f"run {run_id} (catch-up)")
        logger.info("search index totals for run %s: %s", run_id, self.totals)
        if self.engine is not None:
            self.engine.close()
        self.engine = self.syncer = None
