"""Fleet-wide politeness: per-host concurrency and delay for all workers together.

Scrapy's downloader slots (``CONCURRENT_REQUESTS_PER_DOMAIN``, ``DOWNLOAD_DELAY``) hold per process;
with N workers a host would get N times its limit. This downloader middleware, placed last before the
download handler, takes a *lease* on the request's host in Redis before the download and returns it
when the response or the error comes back:

* a host's leases are a sorted set scored by expiry: at most ``FLEET_HOST_CONCURRENCY`` unexpired
  leases exist at once (a dead worker's leases expire after ``FLEET_LEASE_SECONDS``);
* a shared next-allowed time per host spaces request starts by ``FLEET_HOST_DELAY`` seconds (±
  ``DOWNLOAD_DELAY_JITTER``), across workers.

Times come from the Redis server (``TIME``), so workers' clocks do not matter. The worker turns its
local per-process delay and AutoThrottle off: the fleet's delay replaces them.

Most leases are taken by the queue's pop, in the same Lua step (crawler/fleet/queue.py): a popped
request whose host had a free lease arrives here holding it, and only the others wait here.
"""

from __future__ import annotations

import asyncio
import random
import uuid
from urllib.parse import urlsplit

from scrapy import Request, Spider
from scrapy.http import Response

from crawler.fleet.connection import client_from_settings
from crawler.fleet.keys import host_keys
from crawler.fleet.queue import LEASE_META, LeasePolicy

# Returns 0 when the lease is taken, else milliseconds to wait before asking again.
_ACQUIRE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local limit = tonumber(ARGV[2])
if redis.call('ZCARD', KEYS[1]) >= limit then
  local first = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  return math.min(tonumber(ARGV[5]), math.max(1, tonumber(first[2]) - now))
end
local nxt = tonumber(redis.call('GET', KEYS[2]) or '0')
if now < nxt then return nxt - now end
local ttl = tonumber(ARGV[4])
redis.call('ZADD', KEYS[1], now + ttl, ARGV[1])
redis.call('PEXPIRE', KEYS[1], ttl)
local delay = tonumber(ARGV[3])
if delay > 0 then redis.call('SET', KEYS[2], now + delay, 'PX', delay + 1000) end
return 0
"""


class FleetPolitenessMiddleware:
    def __init__(self, server, concurrency: int, delay: float, jitter: float, lease_seconds: float,
                 poll_seconds: float):
        self.server = server
        self.concurrency = max(1, concurrency)
        self.delay = delay
        self.jitter = jitter
        self.lease_ms = int(lease_seconds * 1000)
        self.poll_ms = max(1, int(poll_seconds * 1000))
        self._acquire = server.register_script(_ACQUIRE)
        # This worker's waiters per host, woken at once when this worker returns a lease on that host
        # (leases returned by other workers are noticed at the next poll).
        self._freed: dict[str, asyncio.Event] = {}
        self.stats = None  # the crawler's stats: leases taken at pop / waited for here

    @classmethod
    def from_crawler(cls, crawler) -> FleetPolitenessMiddleware:
        s = crawler.settings
        mw = cls(client_from_settings(s), s.getint("FLEET_HOST_CONCURRENCY"), s.getfloat("FLEET_HOST_DELAY"),
                 s.getfloat("DOWNLOAD_DELAY_JITTER"), s.getfloat("FLEET_LEASE_SECONDS"),
                 s.getfloat("FLEET_LEASE_POLL_SECONDS"))
        mw.stats = crawler.stats
        return mw

    def _count(self, key: str) -> None:
        if self.stats is not None:
            self.stats.inc_value(key)

    def _delay_ms(self) -> int:
        if self.delay <= 0:
            return 0
        spread = self.delay * self.jitter
        return int(1000 * random.uniform(self.delay - spread, self.delay + spread))

    @staticmethod
    def policy(settings) -> LeasePolicy:
        """The lease settings, for the queue's pop (which takes most leases: crawler/fleet/queue.py)."""
        return LeasePolicy(settings.getint("FLEET_HOST_CONCURRENCY"), settings.getfloat("FLEET_HOST_DELAY"),
                           settings.getfloat("DOWNLOAD_DELAY_JITTER"), settings.getfloat("FLEET_LEASE_SECONDS"),
                           settings.getint("FLEET_POP_WINDOW"))

    async def process_request(self, request: Request, spider: Spider | None = None) -> None:
        host = (urlsplit(request.url).hostname or "").lower()
        if not host:
            return None
        held = request.meta.get(LEASE_META)
        if held and held[2] == host:  # taken when the queue popped it
            self._count("fleet/leases_at_pop")
            return None
        self._count("fleet/leases_waited_for")
        if held:  # a lease on another host (not expected): returned, and one taken for this host
            self._release(request)
        token = uuid.uuid4().hex
        leases, nxt = host_keys(host)
        loop = asyncio.get_running_loop()
        while True:
            # In a thread: a Redis round trip must not hold up the reactor (and the other downloads).
            wait = int(await loop.run_in_executor(None, lambda: self._acquire(keys=[leases, nxt], args=[
                token, self.concurrency, self._delay_ms(), self.lease_ms, self.poll_ms])))
            if wait <= 0:
                break
            freed = self._freed.setdefault(host, asyncio.Event())
            try:
                await asyncio.wait_for(freed.wait(), min(wait, self.poll_ms * 4) / 1000 * random.uniform(0.8, 1.2))
            except TimeoutError:
                pass
        request.meta[LEASE_META] = (leases, token, host)
        return None

    def _release(self, request: Request) -> None:
        lease = request.meta.pop(LEASE_META, None)
        if not lease:
            return
        leases, token, host = lease
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            loop = None
        if loop is None:
            self.server.zrem(leases, token)
            return
        done = loop.run_in_executor(None, self.server.zrem, leases, token)
        done.add_done_callback(lambda _: self._wake(host))

    def _wake(self, host: str) -> None:
        freed = self._freed.pop(host, None)
        if freed is not None:
            freed.set()

    def process_response(self, request: Request, response: Response, spider: Spider | None = None) -> Response:
        self._release(request)
        return response

    def process_exception(self, request: Request, exception: Exception, spider: Spider | None = None) -> None:
        self._release(request)
        return None
