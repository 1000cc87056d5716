"""Per-host concurrency in one process, whatever the download delay.

Scrapy 2.19's downloader does not hold ``CONCURRENT_REQUESTS_PER_DOMAIN`` on the asyncio reactor when
a slot's delay is 0: ``Downloader._process_queue`` starts every queued request of a slot in one loop
(``while slot.queue and slot.free_transfer_slots() > 0``), but a request only counts as transferring
once its download task has *started* (``slot.transferring.add`` at the top of ``_download``), and
``_schedule_coro`` starts it with ``loop.create_task``: on the next turn of the event loop. So the
loop sees the slot empty and starts the whole queue (measured: 25 requests at once to one loopback
host against a limit of 2, stock spider; 2 with the epoll reactor, 2 with any delay > 0, because a
delay makes the loop start one request per pass). Not reported upstream as far as we found (scrapy
issues #5083 and #6476 are about the delay, not this).

This middleware, placed last before the download handler (order 995, *after* the fleet's host
leases at 990: a fleet worker's request takes its fleet lease first -- often already when the queue
pops it -- then its local permit, always in that order, so the two never wait on each other), holds a
semaphore per downloader slot key (the same key Scrapy uses: ``download_slot`` meta, else the host
name, or its address with ``CONCURRENT_REQUESTS_PER_IP``) sized like Scrapy's slot
(``DOWNLOAD_SLOTS`` concurrency, else the per-IP or per-domain limit). A permit is returned when the
download leaves the downloader (``request_left_downloader``), or on the middleware's response and
exception hooks when the request never reached it. With a delay, Scrapy's own limit also holds, and
the semaphore changes nothing.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from scrapy import signals
from scrapy.exceptions import NotConfigured
from scrapy.http import Request, Response
from scrapy.resolver import dnscache
from scrapy.utils.asyncio import is_asyncio_available
from scrapy.utils.httpobj import urlparse_cached

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

SLOT_META = "download_slot"  # Scrapy's Downloader.DOWNLOAD_SLOT


class HostLimitMiddleware:
    def __init__(self, domain_limit: int, ip_limit: int, slots: dict[str, dict[str, Any]]):
        self.domain_limit = max(1, domain_limit)
        self.ip_limit = ip_limit
        self.slots = slots
        self._gates: dict[str, asyncio.Semaphore] = {}
        self._held: dict[Request, asyncio.Semaphore] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> HostLimitMiddleware:
        s = crawler.settings
        if not s.getbool("HOST_LIMIT_ENABLED"):
            raise NotConfigured
        try:
            asyncio_reactor = is_asyncio_available()
        except RuntimeError:  # no reactor installed yet: Scrapy installs the configured one
            asyncio_reactor = "asyncio" in (s.get("TWISTED_REACTOR") or "")
        if not asyncio_reactor:
            raise NotConfigured  # on other reactors Scrapy's own slot limit holds
        mw = cls(s.getint("CONCURRENT_REQUESTS_PER_DOMAIN"), s.getint("CONCURRENT_REQUESTS_PER_IP"),
                 s.getdict("DOWNLOAD_SLOTS"))
        crawler.signals.connect(mw._left_downloader, signal=signals.request_left_downloader)
        return mw

    def slot_key(self, request: Request) -> str:
        """The key of Scrapy's downloader slot for this request (``Downloader.get_slot_key``)."""
        key = request.meta.get(SLOT_META)
        if key is not None:
            return key
        key = urlparse_cached(request).hostname or ""
        return dnscache.get(key, key) if self.ip_limit else key

    def _gate(self, key: str) -> asyncio.Semaphore:
        gate = self._gates.get(key)
        if gate is None:
            limit = self.slots.get(key, {}).get("concurrency", self.ip_limit or self.domain_limit)
            gate = self._gates[key] = asyncio.Semaphore(max(1, int(limit)))
        return gate

    async def process_request(self, request: Request, spider=None) -> None:
        if request in self._held:  # the same object again (a middleware re-sent it): it holds a permit
            return None
        gate = self._gate(self.slot_key(request))
        await gate.acquire()
        self._held[request] = gate
        return None

    def _release(self, request: Request) -> None:
        gate = self._held.pop(request, None)
        if gate is not None:
            gate.release()

    def _left_downloader(self, request: Request, spider=None) -> None:
        self._release(request)

    def process_response(self, request: Request, response: Response, spider=None) -> Response:
        self._release(request)
        return response

    def process_exception(self, request: Request, exception: Exception, spider=None) -> None:
        self._release(request)
        return None
