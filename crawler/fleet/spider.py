"""The cluster spider as a fleet worker: seeds come from the run's queue, every request is acknowledged.

* ``start()`` yields nothing. Scrapy >= 2.13 starts spiders with the ``start()`` coroutine, which
  scrapy-redis 0.9 predates (its ``RedisSpider`` only overrides ``start_requests``); a worker that
  inherited the cluster spider's ``start()`` would queue every homepage again. Seeds are queued by
  ``govinspect seed`` and turned into homepage requests here (:meth:`fleet_seed_request`).
* Each callback and errback ends its output with a :class:`~crawler.fleet.ack.FleetAck`: once every
  earlier output is handled (the links it found are in the shared queue), ``request_done`` goes to
  the scheduler, which acknowledges the request with the site's progress. A worker killed before
  that point has the request requeued by the others.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Iterator
from typing import Any

from scrapy import Request

from crawler.fleet import signals as fleet_signals
from crawler.fleet.ack import FleetAck
from crawler.fleet.queue import ACK_META
from crawler.fleet.scheduler import SEED_META
from crawler.spiders.cluster import ClusterSpider
from crawler.traps import strip_session_ids


class FleetClusterSpider(ClusterSpider):
    name = "cluster"

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs) -> FleetClusterSpider:
        spider: FleetClusterSpider = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(spider.fleet_seed_request, signal=fleet_signals.seed_popped)
        return spider

    async def start(self) -> AsyncIterator[Request]:
        return
        yield  # an async generator that yields nothing

    def fleet_seed_request(self, seed: Request) -> Request:
        """The homepage request of a seed; ``seed`` claimed the page and counted it pending in the
        run state, so a seed requeued after a kill does not count it twice."""
        site = self.registry.get(seed.meta[SEED_META])
        url = strip_session_ids(site.url)
        request = self._page_request(site, url, depth=0, homepage=True, priority=seed.priority, counted=True)
        request.meta[ACK_META] = seed.meta.get(ACK_META)
        return request

    def _acked(self, meta: dict, output: Iterable[Any] | None) -> Iterator[Any]:
        try:
            yield from output or ()
        except Exception:
            self._ack(meta)
            raise
        # the last output: acknowledged once everything before it was handled (crawler/fleet/ack.py)
        yield FleetAck(meta)

    def _ack(self, meta: dict) -> None:
        self.crawler.signals.send_catch_log(fleet_signals.request_done, meta=meta)

    def parse_page(self, response):
        return self._acked(response.meta, super().parse_page(response))

    def page_failed(self, failure):
        return self._acked(failure.request.meta, super().page_failed(failure))

    def check_done(self, response):
        return self._acked(response.meta, super().check_done(response))

    def check_failed(self, failure):
        return self._acked(failure.request.meta, super().check_failed(failure))

    def parse_attachment(self, response):
        return self._acked(response.meta, super().parse_attachment(response))
