"""The fleet scheduler: scrapy-redis's ``Scheduler`` over one run's keys, with acknowledged pops.

* The queue and duplicate filter live under the run's keys (``FLEET_RUN_ID``), not the spider name,
  so one Redis holds many runs and a resumed worker finds its run.
* ``SCHEDULER_PERSIST`` is forced on: a closing worker never wipes a queue the others still use.
* Seeds: ``govinspect seed`` queues one small request per site (``meta["fleet_seed"]``) and records
  the homepage's fingerprint; a worker popping it asks the spider for the real homepage request
  (the spider's render policy and bookkeeping apply). Seeding never goes through scrapy-redis's
  ``start_urls`` key, whose requests are made with ``dont_filter=True`` (fetched a second time when a
  page links back to its homepage).
"""

from __future__ import annotations

import logging
import time
from concurrent.futures import ThreadPoolExecutor

from scrapy import Request
from scrapy.utils.misc import load_object
from scrapy_redis.dupefilter import RFPDupeFilter
from scrapy_redis.scheduler import Scheduler

from crawler.fleet import signals as fleet_signals
from crawler.fleet.connection import client_from_settings
from crawler.fleet.keys import RunKeys
from crawler.fleet.ledger import Ledger
from crawler.fleet.queue import ACK_META, ALREADY, FILTERED

SEED_META = "fleet_seed"
QUEUE_CLASS = "crawler.fleet.queue.AckPriorityQueue"

logger = logging.getLogger(__name__)


class AckScheduler(Scheduler):
    """scrapy-redis scheduler whose popped requests stay in flight until acknowledged."""

    @classmethod
    def from_crawler(cls, crawler):
        s = crawler.settings
        keys = RunKeys(s["FLEET_RUN_ID"])
        server = client_from_settings(s)
        server.ping()
        dupefilter = RFPDupeFilter(server, key=keys.dupefilter, debug=s.getbool("DUPEFILTER_DEBUG"))
        scheduler = cls(server=server, persist=True, flush_on_start=False, queue_key=keys.queue,
                        queue_cls=QUEUE_CLASS, dupefilter=dupefilter, idle_before_close=0)
        scheduler.stats = crawler.stats
        scheduler.crawler = crawler
        scheduler.inflight_key = keys.inflight(s["FLEET_WORKER_ID"])
        scheduler.redo_key = keys.redo
        scheduler.units_key = keys.units
        scheduler.max_in_flight = s.getint("FLEET_MAX_IN_FLIGHT")
        scheduler.ledger = Ledger(server, keys, s["FLEET_WORKER_ID"])
        scheduler.held = 0  # requests this worker popped and has not acknowledged
        scheduler._acks = ThreadPoolExecutor(max_workers=1, thread_name_prefix="fleet-ack")
        scheduler._queued_hint = True
        scheduler._counted_at = 0.0
        crawler.signals.connect(scheduler.request_done, signal=fleet_signals.request_done)
        return scheduler

    def request_done(self, meta: dict) -> None:
        if not meta.get(ACK_META):
            return
        self.held = max(0, self.held - 1)
        # One thread, in order, off the reactor: the request's links were queued (synchronously)
        # before this point, so the acknowledgement can only follow them.
        self._acks.submit(self.ledger.ack, {ACK_META: meta.pop(ACK_META)})

    def has_pending_requests(self) -> bool:
        """Asked by the engine at every turn: counted in Redis at most twice a second (a stale answer
        costs nothing: idleness is decided by the fleet extension, from Redis)."""
        now = time.monotonic()
        if now - self._counted_at > 0.5:
            self._queued_hint = len(self.queue) > 0
            self._counted_at = now
        return self._queued_hint

    def open(self, spider):
        # scrapy-redis's open() logs through the deprecated ``Spider.log``: build the queue here.
        # the queue needs the spider to (de)serialize callbacks by name; nothing is read off it here
        self.queue = load_object(self.queue_cls)(server=self.server, spider=spider, key=self.queue_key,
                                                 serializer=self.serializer)
        self.queue.bind(self.inflight_key, self.redo_key, self.units_key)
        if len(self.queue):
            logger.info("%d requests queued for this run", len(self.queue))

    def close(self, reason):
        """Never flush: the queue and fingerprints belong to the run, not to this worker. Wait for
        the acknowledgements still on their way."""
        self._acks.shutdown(wait=True)

    def enqueue_request(self, request: Request) -> bool:
        # One Redis step: record the fingerprint, queue the request if it is new, and (for a retry or
        # redirect of an in-flight request) drop the original's in-flight entry.
        token = request.meta.get(ACK_META)
        fingerprint = None if request.dont_filter else self.df.request_fingerprint(request)
        if token:
            self.held = max(0, self.held - 1)
        pushed = self.queue.push(request, self.df.key, fingerprint)
        if pushed == FILTERED:
            logger.debug("filtered duplicate request %s", request)
            return False
        if pushed == ALREADY:  # a redone page's follow-up its first run had queued: not a drop (no work done)
            logger.debug("queued before (a redone request's follow-up): %s", request)
            if self.stats:
                self.stats.inc_value("fleet/redo_already_queued")
            return True
        if self.stats:
            self.stats.inc_value("scheduler/enqueued/redis")
        return True

    def next_request(self) -> Request | None:
        # Scrapy pulls until CONCURRENT_REQUESTS are active: cap what one worker holds, so that work
        # is shared with idle workers (and a kill puts back less).
        if self.max_in_flight and self.held >= self.max_in_flight:
            return None
        request = self.queue.pop()
        if request is None:
            self._queued_hint = False
            return None
        self.held += 1
        if self.stats:
            self.stats.inc_value("scheduler/dequeued/redis")
        if request.meta.get(SEED_META):
            # the spider builds the homepage request (its render policy and bookkeeping apply)
            built = [r for _, r in self.crawler.signals.send_catch_log(fleet_signals.seed_popped, seed=request)
                     if isinstance(r, Request)]
            request = built[0] if built else request
        return request
