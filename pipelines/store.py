"""The store pipeline: writes what inspectors and the crawl produce. It folds nothing (see ``finalise``).

Observations are committed one by one (a finding written is a finding kept); link references and
checks, which are only raw material, are batched. :class:`WorkDone` markers (the spider yields one
after each request's results) are held until the items before them are written, then announced with
the ``work_done`` signal: whoever counts work off the run state can rely on that work's results
being in the store, whichever process wrote them.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Any

from scrapy import signals
from scrapy.exceptions import DontCloseSpider, DropItem, NotConfigured
from scrapy.utils.defer import deferred_from_coro
from twisted.internet import task

from govinspect import signals as gi_signals
from govinspect.completeness import mark_incomplete
from govinspect.facts import Fact, PageFacts
from govinspect.faults import DISK_FULL, is_disk_full
from govinspect.findings import LinkCheck, LinkRef, Observation, PageLinks, WorkDone
from govinspect.store import FindingStore
from govinspect.vocabulary import RunContext

if TYPE_CHECKING:
    from scrapy import Spider
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)


class StorePipeline:
    def __init__(self, crawler: Crawler, context: RunContext, store: FindingStore, batch_size: int,
                 flush_seconds: float):
        self.crawler = crawler
        self.context = context
        self.run_id = context.run_id
        self.store = store
        self.batch_size = batch_size
        self.flush_seconds = flush_seconds
        self._refs: list[LinkRef] = []
        self._checks: list[LinkCheck] = []
        self._facts: list[Fact] = []
        self._markers: list[WorkDone] = []
        self._holding = False  # markers kept back: their rows are only in the outage buffer (work_held)
        self._last_flush = time.monotonic()
        self._timer: task.LoopingCall | None = None
        self.failed: str | None = None  # set when the disk is full: the run stops, nothing more is written

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StorePipeline:
        s = crawler.settings
        context = RunContext.of(s)
        if context is None:
            raise NotConfigured("no run context (GOVINSPECT_RUN): crawls run through govinspect.api.run_crawl")
        pipeline = cls(crawler, context, FindingStore.shared(s), s.getint("STORE_BATCH_SIZE"),
                       s.getfloat("STORE_FLUSH_SECONDS"))
        crawler.signals.connect(pipeline.spider_idle, signal=signals.spider_idle)
        crawler.signals.connect(pipeline.flush_wanted, signal=gi_signals.store_flush_wanted)
        return pipeline

    def open_spider(self, spider: Spider | None = None) -> None:
        # This process takes part in the run: while it lives, the store never takes the run for
        # interrupted (a lock that ends with the process: govinspect/db/runlock.py).
        self.store.join_run(self.run_id)
        # markers must not wait for the next item: flush on a timer too
        self._timer = task.LoopingCall(self._tick)
        self._timer.start(max(self.flush_seconds, 0.05), now=False)

    def _disk_full(self, exc: BaseException) -> None:
        """Stop the run once, with one clear line; what was committed so far stays in the store."""
        if self.failed is None:
            self.failed = str(exc)
            logger.error("disk full writing the store %s (%s): stopping the run; findings written so far are"
                         " kept", self.store.target, exc)
            if self.crawler.stats is not None:
                self.crawler.stats.set_value("govinspect/store_error", f"{DISK_FULL}: {exc}")
            engine = self.crawler.engine
            if engine is not None:  # closing an already closing run is a no-op: its failure is dropped
                deferred_from_coro(engine.close_spider_async(reason=DISK_FULL)).addErrback(lambda _: None)

    def process_item(self, item: Any, spider: Spider | None = None) -> Any:
        if self.failed is not None:
            if isinstance(item, WorkDone):  # nothing more is counted off: the run is stopping
                raise DropItem("work marker", log_level="DEBUG")
            return item
        try:
            return self._process(item)
        except DropItem:
            raise
        except Exception as exc:
            if not is_disk_full(exc):
                # an item that could not be stored is evidence lost: its site cannot be vouched for
                mark_incomplete(self.context.state, getattr(item, "site_id", None),
                                f"storing a {type(item).__name__} failed: {type(exc).__name__}")
                raise
            self._disk_full(exc)
            if isinstance(item, WorkDone):
                raise DropItem("work marker", log_level="DEBUG") from None
            return item

    def _process(self, item: Any) -> Any:
        if isinstance(item, Observation):
            site = self.context.registry.get(item.site_id)
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
        elif isinstance(item, WorkDone):
            self._markers.append(item)
            self._flush_if_due()
            # markers end here: feeds and item_scraped receivers see only findings data
            raise DropItem("work marker", log_level="DEBUG")
        self._flush_if_due()
        return item

    def _flush_if_due(self) -> None:
        # markers count too (the run's folding waits for them); a fleet worker also flushes before it
        # acknowledges requests (``store_flush_wanted``), so one killed after that loses nothing
        if len(self._refs) + len(self._checks) + len(self._facts) + len(self._markers) >= self.batch_size or (
            time.monotonic() - self._last_flush > self.flush_seconds
        ):
            self.flush()

    def flush(self) -> None:
        """Write the batched link data, then announce the work whose results are now all stored."""
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
        # Work counts as done only once its rows are in the database, not in the outage buffer:
        # the finaliser may fold the site on another machine as soon as it hears of it.
        if not self._markers:
            return
        if self.store.try_replay():
            markers, self._markers = self._markers, []
            self.crawler.signals.send_catch_log(gi_signals.work_done, markers=markers)
            if self._holding:
                self._holding = False
                self.crawler.signals.send_catch_log(gi_signals.work_held, held=False)
        elif not self._holding:
            self._holding = True
            self.crawler.signals.send_catch_log(gi_signals.work_held, held=True)

    def _tick(self) -> None:
        if self.failed is None and time.monotonic() - self._last_flush >= self.flush_seconds:
            self._guarded_flush()

    def _guarded_flush(self) -> None:
        try:
            self.flush()
        except Exception as exc:
            if not is_disk_full(exc):
                raise
            self._disk_full(exc)

    def flush_wanted(self) -> None:
        """Requests are about to be acknowledged (fleet): their rows and markers go out first."""
        if self.failed is None:
            self._guarded_flush()

    def spider_idle(self, spider: Spider) -> None:
        if self.failed is not None:
            return  # disk full: the run is closing
        self.flush()
        if self._markers:  # results still in the outage buffer: the run is not done with them yet
            raise DontCloseSpider

    def close_spider(self, spider: Spider | None = None) -> None:
        if self._timer is not None and self._timer.running:
            self._timer.stop()
        try:
            if self.failed is None:
                self.flush()
        except Exception as exc:
            if not is_disk_full(exc):
                raise
            self._disk_full(exc)
        finally:
            self.store.close()
