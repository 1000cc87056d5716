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
import logging
import random
import threading
import uuid
from urllib.parse import urlsplit

from scrapy import Request, Spider
from scrapy.http import Response

from crawler.fleet import signals as fleet_signals
from crawler.fleet.connection import client_from_settings
from crawler.fleet.keys import host_keys
from crawler.fleet.queue import LEASE_META, LeasePolicy

logger = logging.getLogger(__name__)

# Returns 0 when the lease is taken, else milliseconds to wait before asking again.
_ACQUIRE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
-- this caller's token holds a lease already: a resend of the step that took it (a Redis restart)
if redis.call('ZSCORE', KEYS[1], ARGV[1]) then return 0 end
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


def return_leases(server, leases: list[tuple[str, str, str]]) -> None:
    """Return host leases ((leases key, token, host) each) in one round trip."""
    try:
        pipe = server.pipeline(transaction=False)
        for key, token, _ in leases:
            pipe.zrem(key, token)
        pipe.execute()
    except Exception:  # Redis gone beyond the client's retries: the leases expire on their own
        logger.exception("returning %d host leases failed", len(leases))


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
        self._returns: list[tuple[str, str, str]] = []  # leases to return (leases key, token, host)
        self._returns_lock = threading.Lock()
        self._sending = threading.Lock()  # one return round trip at a time
        self._returning = False
        self._loop: asyncio.AbstractEventLoop | None = None

    @classmethod
    def from_crawler(cls, crawler) -> FleetPolitenessMiddleware:
        s = crawler.settings
        mw = cls(client_from_settings(s), s.getint("FLEET_HOST_CONCURRENCY"), s.getfloat("FLEET_HOST_DELAY"),
                 s.getfloat("DOWNLOAD_DELAY_JITTER"), s.getfloat("FLEET_LEASE_SECONDS"),
                 s.getfloat("FLEET_LEASE_POLL_SECONDS"))
        mw.stats = crawler.stats
        crawler.signals.connect(mw.leases_wanted, signal=fleet_signals.leases_wanted)
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
        try:
            self._loop = asyncio.get_running_loop()
        except RuntimeError:
            self.server.zrem(lease[0], lease[1])
            return
        # Off the reactor, on one thread: leases returned while one round trip is on its way go
        # together in the next one.
        with self._returns_lock:
            self._returns.append(lease)
            if self._returning:
                return
            self._returning = True
        self._loop.run_in_executor(None, self._drain_returns)

    def _drain_returns(self) -> None:
        while True:
            with self._returns_lock:
                batch, self._returns = self._returns, []
                if not batch:
                    self._returning = False
                    return
            with self._sending:
                self._send(batch)
            try:
                self._loop.call_soon_threadsafe(self._wake_all, {host for _, _, host in batch})
            except RuntimeError:  # the loop is closed: the crawl is over, nobody waits
                pass

    def _send(self, batch: list[tuple[str, str, str]]) -> None:
        return_leases(self.server, batch)

    def leases_wanted(self) -> int:
        """The queue found every host at its limit: return the leases still on their way now (on the
        reactor thread, after any round trip in progress), so that the next pop can use them rather
        than the engine waiting for its next turn. Returns how many were returned."""
        with self._sending:
            with self._returns_lock:
                batch, self._returns = self._returns, []
            if batch:
                self._send(batch)
        self._wake_all({host for _, _, host in batch})
        return len(batch)

    def _wake_all(self, hosts: set[str]) -> None:
        for host in hosts:
            self._wake(host)

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
