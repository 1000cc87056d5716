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
import threading
import time
from collections import deque
from concurrent.futures import ThreadPoolExecutor

from scrapy import Request, signals
from scrapy.utils.misc import load_object
from scrapy_redis.dupefilter import RFPDupeFilter
from scrapy_redis.scheduler import Scheduler

from crawler.fleet import signals as fleet_signals
from crawler.fleet.connection import client_from_settings
from crawler.fleet.keys import RunKeys
from crawler.fleet.ledger import Ledger
from crawler.fleet.politeness import FleetPolitenessMiddleware, return_leases
from crawler.fleet.queue import ACK_META, ALREADY, FILTERED, LEASE_META
from govinspect import signals as gi_signals
from govinspect.runstate.once import memo_seconds_for

SEED_META = "fleet_seed"
QUEUE_CLASS = "crawler.fleet.queue.AckPriorityQueue"
POLITENESS = "crawler.fleet.politeness.FleetPolitenessMiddleware"

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
        scheduler.pop_batch = max(1, s.getint("FLEET_POP_BATCH"))
        scheduler._hand = deque()  # requests popped in a batch, handed to the engine one by one
        scheduler._row_spent = False  # this engine turn's pop came back short: no more round trips in it
        scheduler.memo_seconds = memo_seconds_for(s.getfloat("FLEET_REDIS_RETRY_SECONDS"))
        scheduler.ledger = Ledger(server, keys, s["FLEET_WORKER_ID"])
        scheduler.held = 0  # requests this worker popped and has not acknowledged
        scheduler._acks = ThreadPoolExecutor(max_workers=1, thread_name_prefix="fleet-ack")
        scheduler._ack_lock = threading.Lock()
        scheduler._pending_acks = []
        scheduler._acking = False
        scheduler._store_holds = False  # the store keeps work markers back (database unreachable)
        scheduler._kept_acks = []  # acknowledgements waiting for those markers
        scheduler._queued_hint = True
        scheduler._counted_at = 0.0
        scheduler._to_push = []  # (request, fingerprint) waiting for the next push round trip
        scheduler._after_push = []  # in-flight tokens to acknowledge once the pending pushes are done
        scheduler._flush_call = None
        politeness = s.getdict("DOWNLOADER_MIDDLEWARES").get(POLITENESS) is not None
        scheduler.lease_policy = FleetPolitenessMiddleware.policy(s) if politeness else None
        crawler.signals.connect(scheduler.request_done, signal=fleet_signals.request_done)
        crawler.signals.connect(scheduler.work_held, signal=gi_signals.work_held)
        return scheduler

    def request_done(self, meta: dict) -> None:
        if not meta.get(ACK_META):
            return
        self.held = max(0, self.held - 1)
        # acknowledged once the links the request found are queued and its rows and work markers
        # stored (by the flush at the end of this reactor turn, with the other requests done in it, or
        # a later one if Redis is out of reach now): a kill before that has the request done again
        self._after_push.append(meta.pop(ACK_META))
        self._flush_soon()

    def _acknowledge(self, tokens: list[str]) -> None:
        # One thread, in order, off the reactor: the requests' links were queued (synchronously)
        # before this point, so the acknowledgement can only follow them. Acknowledgements that
        # arrive while one is on its way go together in the next round trip (no waiting added).
        with self._ack_lock:
            if self._store_holds:  # their markers may be only in the outage buffer: a kill must redo them
                self._kept_acks += tokens
                return
            self._pending_acks += tokens
            if self._acking:
                return
            self._acking = True
        self._acks.submit(self._drain_acks)

    def work_held(self, held: bool) -> None:
        """The store keeps work markers back while the database is unreachable: the requests done
        meanwhile stay in flight (a worker killed now has them done again, markers and all) until
        the markers are announced."""
        with self._ack_lock:
            self._store_holds = held
            if held or not self._kept_acks:
                return
            self._pending_acks += self._kept_acks
            self._kept_acks = []
            if self._acking:
                return
            self._acking = True
        self._acks.submit(self._drain_acks)

    def _drain_acks(self) -> None:
        while True:
            with self._ack_lock:
                tokens, self._pending_acks = self._pending_acks, []
                if not tokens:
                    self._acking = False
                    return
            try:
                self.ledger.ack_many(tokens)
            except Exception:  # Redis gone beyond the client's retries: the reaper will requeue them
                logger.exception("acknowledging %d requests failed", len(tokens))

    def has_pending_requests(self) -> bool:
        """Asked by the engine at every turn: counted in Redis at most twice a second (a stale answer
        costs nothing: idleness is decided by the fleet extension, from Redis)."""
        if self._hand:
            return True
        now = time.monotonic()
        if now - self._counted_at > 0.5:
            self._queued_hint = len(self.queue) > 0
            self._counted_at = now
        return self._queued_hint

    def open(self, spider):
        self._dropping_for = spider  # passed on in ``request_dropped`` as the engine does; nothing read off it
        # scrapy-redis's open() logs through the deprecated ``Spider.log``: build the queue here.
        # the queue needs the spider to (de)serialize callbacks by name; nothing is read off it here
        self.queue = load_object(self.queue_cls)(server=self.server, spider=spider, key=self.queue_key,
                                                 serializer=self.serializer)
        # pop takes host leases itself when the fleet's politeness middleware is on to return them
        self.queue.bind(self.inflight_key, self.redo_key, self.lease_policy, self.units_key, self.memo_seconds)
        if len(self.queue):
            logger.info("%d requests queued for this run", len(self.queue))

    def close(self, reason):
        """Never flush: the queue and fingerprints belong to the run, not to this worker. Wait for
        the acknowledgements still on their way. Requests still in hand (the engine stopped asking)
        stay in flight here, to be put back when this worker leaves the run; their host leases go
        back now, not when they expire."""
        self.flush()
        self._acks.shutdown(wait=True)
        leases = [r.meta[LEASE_META] for r in self._hand if r.meta.get(LEASE_META)]
        self._hand.clear()
        if leases:
            return_leases(self.server, leases)

    def enqueue_request(self, request: Request) -> bool:
        """Buffer ``request`` for the next push round trip: a callback's links go to Redis together
        (:meth:`flush`), at the end of the reactor turn, before this worker pops again, and before
        the request that found them is acknowledged (so a kill never loses them). True here; a
        duplicate found at the push is then announced as ``request_dropped``, as the engine would."""
        fingerprint = None if request.dont_filter else self.df.request_fingerprint(request)
        self._to_push.append((request, fingerprint))
        self._flush_soon()
        return True

    def _flush_soon(self, seconds: float = 0) -> None:
        if self._flush_call is None:
            from twisted.internet import reactor

            self._flush_call = reactor.callLater(seconds, self.flush)

    def flush(self) -> None:
        """Push the buffered requests, in one step per request and one round trip for all."""
        if self._flush_call is not None:
            if self._flush_call.active():
                self._flush_call.cancel()
            self._flush_call = None
        batch, self._to_push = self._to_push, []
        if batch:
            retried = sum(1 for request, _ in batch if request.meta.get(ACK_META))
            try:
                results = self.queue.push_many(batch, self.df.key)
            except Exception:  # Redis out of reach past the client's retries: keep them, try again
                logger.exception("queueing %d requests failed; trying again in a second", len(batch))
                self._to_push[:0] = batch
                self._flush_soon(1.0)
                return
            self.held = max(0, self.held - retried)  # retries, redirects: their in-flight originals went
            self._pushed(batch, results)
        tokens, self._after_push = self._after_push, []
        if tokens:
            # their rows and markers first (an outage keeps them back: see work_held)
            self.crawler.signals.send_catch_log(gi_signals.store_flush_wanted)
            self._acknowledge(tokens)

    def _pop(self) -> Request | None:
        """A batch of requests from the shared queue (the first returned, the rest kept in hand)."""
        if self._row_spent and self.held > 0:
            return None  # the last pop of this turn came back short: the next would find nothing more
        # While this worker has requests out, their completions will ask again: rather than take a
        # request whose host is at its limit (it would wait for a lease, holding an in-flight place),
        # take nothing for now. With nothing out, the head all the same, so the engine always has work.
        want = self.pop_batch
        if self.max_in_flight:
            want = max(1, min(want, self.max_in_flight - self.held))
        popped = self.queue.pop_many(want, leased_only=self.held > 0)
        if not popped and self.queue.busy:
            returned = sum(r for _, r in self.crawler.signals.send_catch_log(fleet_signals.leases_wanted)
                           if isinstance(r, int))
            if returned:  # leases this worker had finished with: one of those hosts may be free now
                popped = self.queue.pop_many(want, leased_only=self.held > 0)
        if len(popped) < want:
            self._spend_row()
        if not popped:
            self._queued_hint = self.queue.busy
            if self.queue.busy and self.stats:
                self.stats.inc_value("fleet/pop_all_hosts_busy")
            return None
        self.held += len(popped)
        if self.stats:
            self.stats.inc_value("fleet/pops")
        self._hand.extend(popped[1:])
        return popped[0]

    def _spend_row(self) -> None:
        """No more pops until the engine's next turn (the next reactor iteration)."""
        if not self._row_spent:
            from twisted.internet import reactor

            self._row_spent = True
            reactor.callLater(0, self._new_row)

    def _new_row(self) -> None:
        self._row_spent = False

    def _pushed(self, batch: list[tuple[Request, str | None]], results: list[int]) -> None:
        for (request, _), pushed in zip(batch, results, strict=True):
            if pushed == FILTERED:
                logger.debug("filtered duplicate request %s", request)
                self.crawler.signals.send_catch_log(signals.request_dropped, request=request,
                                                    spider=self._dropping_for)
            elif pushed == ALREADY:  # a redone page's follow-up its first run had queued: no work done
                logger.debug("queued before (a redone request's follow-up): %s", request)
                if self.stats:
                    self.stats.inc_value("fleet/redo_already_queued")
            elif self.stats:
                self.stats.inc_value("scheduler/enqueued/redis")

    def next_request(self) -> Request | None:
        self.flush()  # this worker's new links compete for the pop like everyone's
        # Scrapy pulls until CONCURRENT_REQUESTS are active: cap what one worker holds, so that work
        # is shared with idle workers (and a kill puts back less).
        if self._hand:  # popped already (counted in ``held``)
            request = self._hand.popleft()
        elif self.max_in_flight and self.held >= self.max_in_flight:
            return None
        else:
            request = self._pop()
            if request is None:
                return None
        if self.stats:
            self.stats.inc_value("scheduler/dequeued/redis")
        if request.meta.get(SEED_META):
            # the spider builds the homepage request (its render policy and bookkeeping apply)
            built = [r for _, r in self.crawler.signals.send_catch_log(fleet_signals.seed_popped, seed=request)
                     if isinstance(r, Request)]
            if built:
                lease = request.meta.get(LEASE_META)
                request = built[0]
                if lease:  # the seed's host lease goes with the homepage request (same host)
                    request.meta[LEASE_META] = lease
        return request
