"""Extensions: live progress while crawling, log masking, and the garbage collector's pace."""

from __future__ import annotations

import gc
import logging
import sys
import time
from typing import TYPE_CHECKING

from scrapy import signals
from scrapy.exceptions import NotConfigured
from twisted.internet import task

from govinspect.masking import install_log_masking
from govinspect.vocabulary import RunContext

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

logger = logging.getLogger("govinspect.progress")


class LogMasking:
    """Masks personal data in every log line (attached once the logging handlers exist)."""

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> LogMasking:
        ext = cls()
        crawler.signals.connect(ext.engine_started, signal=signals.engine_started)
        install_log_masking()
        return ext

    def engine_started(self) -> None:
        install_log_masking()


class GarbageCollection:
    """Python's cyclic garbage collector at the pace ``GC_THRESHOLDS`` sets, for the crawl's process.

    A page makes thousands of short-lived objects (the tree's element proxies, links, references,
    Scrapy's requests and items); at Python's default (a collection of the youngest objects every 700
    allocations, older ones every 10 of those) the collector ran ~500 times over 3,440 pages and cost
    ~12 % of the process's CPU (``bench/bench_page_cost.py``). Nearly all of those objects are freed by
    reference counting anyway: collecting less often finds the same cycles, later. Restored when the
    spider closes (tests run many crawls in one process).
    """

    def __init__(self, thresholds: tuple[int, ...]):
        self.thresholds = thresholds
        self.saved: tuple[int, ...] | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> GarbageCollection:
        thresholds = tuple(int(t) for t in crawler.settings.getlist("GC_THRESHOLDS"))
        if not thresholds:
            raise NotConfigured("GC_THRESHOLDS is empty: Python's own")
        ext = cls(thresholds)
        # at the spider's opening, not here: a crawler built and never run (tests, tools) changes nothing
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def spider_opened(self, spider=None) -> None:
        self.apply()

    def apply(self) -> None:
        if self.saved is None:
            self.saved = gc.get_threshold()
        gc.set_threshold(*self.thresholds)

    def spider_closed(self, spider=None, reason=None) -> None:
        if self.saved is not None:
            gc.set_threshold(*self.saved)
            self.saved = None


class _GaveUpIsInfo(logging.Filter):
    """Scrapy logs "Gave up retrying" as ERROR; for an inspector a dead link is a finding, not an error."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno == logging.ERROR and str(record.msg).startswith("Gave up retrying"):
            record.levelno, record.levelname = logging.INFO, "INFO"
        return True


class QuietRetries:
    """Installs :class:`_GaveUpIsInfo` on Scrapy's retry logger (its records reach the run's log as INFO)."""

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> QuietRetries:
        retry_logger = logging.getLogger("scrapy.downloadermiddlewares.retry")
        if not any(isinstance(f, _GaveUpIsInfo) for f in retry_logger.filters):
            retry_logger.addFilter(_GaveUpIsInfo())
        return cls()


class Progress:
    """Pages, pages/s, sites done and findings so far: a live line on a terminal, log lines otherwise."""

    def __init__(self, crawler: Crawler, interval: float, tty: bool):
        self.crawler = crawler
        self.interval = interval
        self.tty = tty
        self.started = time.monotonic()
        self._task: task.LoopingCall | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Progress:
        interval = crawler.settings.getfloat("PROGRESS_INTERVAL")
        if interval <= 0:
            raise NotConfigured
        declared = crawler.settings.get("PROGRESS_TTY")  # None: whether stderr is a terminal
        tty = sys.stderr.isatty() if declared is None else crawler.settings.getbool("PROGRESS_TTY")
        ext = cls(crawler, 1.0 if tty else interval, tty)
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def line(self) -> str:
        stats = self.crawler.stats
        pages = stats.get_value("govinspect/pages", 0)
        checks = stats.get_value("response_received_count", 0)
        elapsed = max(time.monotonic() - self.started, 1e-6)
        context = RunContext.of(self.crawler.settings)
        state = context.state if context is not None else None
        # sites done = folded, by any process of the run (the run state knows)
        done = len(state.finalised_sites()) if state is not None else 0
        total = len(list(context.registry)) if context is not None else 0
        findings = stats.get_value("govinspect/observations", 0)
        return (f"pages {pages} ({pages / elapsed:.1f}/s), responses {checks},"
                f" sites done {done}/{total}, observations {findings}")

    def spider_opened(self, spider) -> None:
        self.started = time.monotonic()
        self._task = task.LoopingCall(self.report)
        self._task.start(self.interval, now=False)

    def report(self) -> None:
        if self.tty:
            sys.stderr.write("\r\x1b[2K" + self.line())
            sys.stderr.flush()
        else:
            logger.info(self.line())

    def spider_closed(self, spider, reason) -> None:
        if self._task is not None and self._task.running:
            self._task.stop()
        if self.tty:
            sys.stderr.write("\r\x1b[2K" + self.line() + "\n")
        else:
            logger.info("final: %s", self.line())
