"""The worker's membership in its run: heartbeat, reaping, and not closing while the fleet has work.

scrapy-redis's ``RedisSpider`` keeps a worker alive only while its *start-URL key* has data (its idle
timer resets on that alone): a worker that goes idle while the shared queue is momentarily empty but
other workers still hold pages -- whose links will refill the queue -- quits early. Here a worker
stays until the run is done: nothing queued and nothing in flight at any worker, read in one step.

The heartbeat runs in a thread of its own: a reactor busy for a few seconds (a Redis call riding out
a restart with backoff, a big page parsed on a loaded machine) must not get a live worker reaped and
its pages done twice. It beats only while the reactor has turned within ``FLEET_REDIS_RETRY_SECONDS``
(the longest a Redis call may hold it), so a worker whose reactor is wedged is still reaped.
"""

from __future__ import annotations

import logging
import threading
import time

from scrapy import signals
from scrapy.exceptions import DontCloseSpider
from twisted.internet import task

from crawler.fleet.connection import client_from_settings
from crawler.fleet.keys import RunKeys
from crawler.fleet.membership import Membership
from crawler.fleet.runs import refresh_lock
from govinspect import signals as gi_signals
from govinspect.findings import WorkDone
from govinspect.vocabulary import RunContext

logger = logging.getLogger(__name__)


class FleetWorker:
    def __init__(self, crawler, membership: Membership, heartbeat: float, lock_ttl: int, stall_limit: float = 120.0):
        self.crawler = crawler
        self.membership = membership
        self.heartbeat_seconds = heartbeat
        self.lock_ttl = lock_ttl
        self.stall_limit = stall_limit
        self._loop: task.LoopingCall | None = None
        self._turned = time.monotonic()  # when the reactor last ran this extension's tick
        self._stop = threading.Event()
        self._beater: threading.Thread | None = None
        self.done = False
        self.idle_poll = 0.0

    @classmethod
    def from_crawler(cls, crawler) -> FleetWorker:
        s = crawler.settings
        membership = Membership(client_from_settings(s), RunKeys(s["FLEET_RUN_ID"]), s["FLEET_WORKER_ID"],
                                s.getfloat("FLEET_WORKER_TIMEOUT"))
        ext = cls(crawler, membership, s.getfloat("FLEET_HEARTBEAT_SECONDS"), s.getint("FLEET_LOCK_SECONDS"),
                  s.getfloat("FLEET_REDIS_RETRY_SECONDS"))
        ext.idle_poll = s.getfloat("FLEET_IDLE_POLL_SECONDS")
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_idle, signal=signals.spider_idle)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def spider_opened(self, spider) -> None:
        self.membership.heartbeat()
        self._tick()
        self._loop = task.LoopingCall(self._tick)
        self._loop.start(self.heartbeat_seconds, now=False)
        self._beater = threading.Thread(target=self._beat, name="fleet-heartbeat", daemon=True)
        self._beater.start()

    def _beat(self) -> None:
        while not self._stop.wait(self.heartbeat_seconds):
            if time.monotonic() - self._turned > self.stall_limit:
                continue  # the reactor is wedged: fall silent, so the others take this worker's work back
            try:
                self.membership.heartbeat()
            except Exception as exc:  # Redis away beyond the client's retries: try again at the next beat
                logger.warning("fleet heartbeat failed: %s", exc)

    def _tick(self) -> None:
        self._turned = time.monotonic()
        try:
            refresh_lock(self.membership.server, self.membership.keys.run_id, self.lock_ttl)
            n = self.membership.reap()
            if n and self.crawler.stats is not None:
                self.crawler.stats.inc_value("fleet/requeued_from_dead_workers", n)
        except Exception:  # Redis gone for longer than the client's retries: say so, try again next tick
            logger.exception("fleet heartbeat failed")

    def spider_idle(self, spider) -> None:
        self.membership.reap()
        if self.membership.is_done():
            self.done = True
            logger.info("run %s: nothing queued or in flight anywhere; this worker stops",
                        self.membership.keys.run_id)
            self._settle_leaked_work()
            return
        self._look_again_soon()
        raise DontCloseSpider

    def _look_again_soon(self) -> None:
        """An idle engine looks at its scheduler (and at idleness) again only at its next heartbeat,
        every 5 s: a worker would pick up work the fleet queued meanwhile, or notice the run is done,
        up to 5 s late (at the end of a run, every worker but the last waits that long to stop). Ask
        for the next look after ``FLEET_IDLE_POLL_SECONDS`` instead.

        Private Scrapy API (``ExecutionEngine._slot.nextcall``, a ``CallLaterOnce``): no public way
        to wake an idle engine exists; tests/fleet/test_fleet_dependencies.py fails if it goes."""
        slot = getattr(self.crawler.engine, "_slot", None)
        nextcall = getattr(slot, "nextcall", None)
        if nextcall is not None and self.idle_poll > 0:
            nextcall.schedule(self.idle_poll)

    def _settle_leaked_work(self) -> None:
        """The fleet is done, yet a site still counts work pending: units counted by a worker killed
        between counting and queueing them. Nothing can do them any more: the site is folded with
        what was done, as incomplete (so it marks nothing fixed)."""
        context = RunContext.of(self.crawler.settings)
        if context is None or context.state is None:
            return
        state = context.state
        for site_id, progress in state.progress_all().items():
            if progress.finalised or progress.pending <= 0 or not progress.homepage_done:
                continue
            logger.warning("site %s: %d units of work were lost with a dead worker (named: %s; targets: %s); "
                           "folding it as incomplete", site_id, progress.pending,
                           state.open_units(site_id)[:20] or "none", state.waiting_targets(site_id)[:20] or "none")
            state.incr(site_id, "failures")
            if progress.pending > 1:
                state.done_pending(site_id, progress.pending - 1)
            self.crawler.signals.send_catch_log(gi_signals.work_done, markers=[WorkDone(site_id, None)])

    def spider_closed(self, spider, reason: str) -> None:
        if self._loop is not None and self._loop.running:
            self._loop.stop()
        self._stop.set()
        if self._beater is not None:
            self._beater.join(timeout=self.heartbeat_seconds + 30)
        n = self.membership.leave()
        if n:
            logger.warning("worker stopped (%s) holding %d requests: back in the queue", reason, n)
