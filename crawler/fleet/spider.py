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
from scrapy_redis.dupefilter import RFPDupeFilter

from crawler.fleet import signals as fleet_signals
from crawler.fleet.ack import FleetAck
from crawler.fleet.connection import client_from_settings
from crawler.fleet.keys import RunKeys
from crawler.fleet.queue import ACK_META, REDO_META
from crawler.fleet.scheduler import SEED_META
from crawler.spiders.cluster import ClusterSpider
from crawler.traps import strip_session_ids


class FleetClusterSpider(ClusterSpider):
    name = "cluster"

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs) -> FleetClusterSpider:
        worker: FleetClusterSpider = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(worker.fleet_seed_request, signal=fleet_signals.seed_popped)
        worker._redo_pages = set()
        s = crawler.settings
        worker._dupefilter = RFPDupeFilter(client_from_settings(s), RunKeys(s["FLEET_RUN_ID"]).dupefilter)
        return worker

    def _in_dupefilter(self, request: Request) -> bool:
        fingerprint = self._dupefilter.request_fingerprint(request)
        return bool(self._dupefilter.server.sismember(self._dupefilter.key, fingerprint))

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
        if seed.meta.get(REDO_META):
            request.meta[REDO_META] = True
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
        if response.meta.get(REDO_META):
            self._redo_pages.add(response.url)
        return self._acked(response.meta, super().parse_page(response))

    def _follow(self, page, pages_only: bool = False):
        if page.url not in self._redo_pages:
            return super()._follow(page, pages_only)
        return self._redo_follow(page, pages_only)

    def _redo_follow(self, page, pages_only: bool):
        # the parent's claims happen before its first request is yielded: swap the state just for them
        real = self.state
        self.state = _RedoClaims(real, self._in_dupefilter)
        try:
            output = super()._follow(page, pages_only)
            first = next(output, None)
        finally:
            self.state = real
        self._redo_pages.discard(page.url)
        if first is not None:
            yield first
            yield from output

    def page_failed(self, failure):
        return self._acked(failure.request.meta, super().page_failed(failure))

    def check_done(self, response):
        return self._acked(response.meta, super().check_done(response))

    def check_failed(self, failure):
        return self._acked(failure.request.meta, super().check_failed(failure))

    async def parse_attachment(self, response):
        """Attachments may be scanned off the crawl's thread (an async callback): acked the same way."""
        try:
            async for item in super().parse_attachment(response):
                yield item
        except Exception:
            self._ack(response.meta)
            raise
        yield FleetAck(response.meta)

    def parse_fetched(self, response):
        return self._acked(response.meta, super().parse_fetched(response))

    def fetch_failed(self, failure):
        return self._acked(failure.request.meta, super().fetch_failed(failure))

    def _companion_request(self, page, urls):
        """No homepage companions in a fleet: they carry the parsed homepage in ``meta``, which a
        request queued in Redis cannot; the homepage is inspected as it is (its iframes are crawled
        as pages of their own all the same)."""
        return None


class _RedoClaims:
    """The run state as seen while redoing a request a dead worker had taken: links that worker
    claimed but never queued (its duplicate filter has no fingerprint for them) are claimed again
    for this page, so they are not lost; links it did queue stay claimed by it."""

    def __init__(self, state: Any, seen: Any):
        self._state = state
        self._seen = seen  # fingerprints already in the run's duplicate filter: Request -> bool

    def __getattr__(self, name: str) -> Any:
        return getattr(self._state, name)

    def claim_links(self, site_id: str, pages: list[str], targets: list[tuple[str, str | None]],
                    check_refused: bool = True):
        taken, firsts, late = self._state.claim_links(site_id, pages, targets, check_refused)
        taken = [True if t is None and not self._seen(Request(url)) else t for url, t in zip(pages, taken, strict=True)]
        urls = [url for _, url in targets if url is not None]
        page_seen = dict(zip(urls, self._state.pages_seen(site_id, urls), strict=True)) if urls else {}

        def unqueued(key: str) -> bool:
            if key.startswith("A "):
                return not self._seen(Request(key[2:]))
            return not self._seen(Request(key, method="HEAD"))

        firsts = [f or (not (url and page_seen.get(url)) and unqueued(key))
                  for (key, url), f in zip(targets, firsts, strict=True)]
        refused = [url for url, t in zip(pages, taken, strict=True) if t is False] if check_refused else []
        late = [f or unqueued(url) for url, f in zip(refused, late, strict=True)]
        return taken, firsts, late
