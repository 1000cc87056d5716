"""scrapy-redis's priority queue with acknowledgement: a popped request stays recorded until it is done.

Stock ``scrapy_redis.queue.PriorityQueue.pop`` removes the request from Redis: if the worker dies
before handling it, the page is lost (and its fingerprint is already in the duplicate filter, so no
one fetches it again). Here pop *moves* the request into the worker's in-flight hash in one Lua step;
the field is ``<token>|<score>`` so a reaper can put it back at its priority. :meth:`ack` deletes it
when the request's callback or errback has run; a request re-enqueued by a middleware (retry,
redirect) replaces its in-flight entry in the same transaction.

Pop is also where fleet politeness starts (:mod:`.politeness`): each queued member carries its host
(``<host>\\n<serialized request>``), and pop takes the first of the next ``window`` requests whose host
has a free lease (and whose next-allowed time has come), taking the lease in the same Lua step. A
worker so never holds requests for hosts that are at their limit while others wait in the queue (the
head-of-line blocking of a plain priority pop), and a request needs no second Redis round trip (nor a
thread hop) for its lease. When every host in the window is at its limit, the head is popped without a
lease and the middleware waits for one, as before, so the engine always gets work that is queued.

Requests the fleet spider names a unit of work for (``meta["gi_unit"]``) are queued once per run: a
page redone after its worker died yields its follow-ups again, and those its first run had queued
already are not queued twice (:data:`ALREADY`).
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from scrapy import Request
from scrapy_redis.queue import PriorityQueue

from crawler.fleet.keys import HOST_PREFIX, host_keys
from govinspect.runstate.once import OnceScript, ScriptBatch

# The request meta key carrying the in-flight field of a popped request.
ACK_META = "fleet_ack"
# Set on a request popped again after a dead worker's in-flight requests were put back.
REDO_META = "fleet_redo"
# A host lease the request holds: (leases key, token, host); returned by the politeness middleware.
LEASE_META = "fleet_lease"
# The request's unit of work (named by the fleet spider): queued once per run.
UNIT_META = "gi_unit"
# push(): the request is filtered (duplicate), queued, or was queued before under its unit.
FILTERED, QUEUED, ALREADY = 0, 1, 2

_POP = """
local r = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
if #r == 0 then return false end
redis.call('ZREM', KEYS[1], r[1])
local field = ARGV[1] .. '|' .. r[2]
redis.call('HSET', KEYS[2], field, r[1])
local redo = redis.call('SREM', KEYS[3], redis.sha1hex(r[1]))
return {r[1], field, redo}
"""

# Pop with host leases. KEYS: queue, in-flight hash, redo set; ARGV: token, window, limit, lease ms,
# host-key prefix, delay ms, "1" to pop nothing (0) rather than a request whose host is at its limit,
# how many requests to take at most. The n-th request taken is in flight (and holds its lease) under
# "<token>:<n>"; the reply lists (member, in-flight field, redone, leased host) for each.
# Host keys are named in the script (prefix .. host .. ':leases'/':next'), like the run state's
# per-site keys (fine on one Redis server, the deployment here).
_POP_LEASED = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local window, step, want = tonumber(ARGV[2]), 8, tonumber(ARGV[8])
local r = redis.call('ZRANGE', KEYS[1], 0, math.min(step, window) - 1, 'WITHSCORES')
if #r == 0 then return false end
local head, headscore = r[1], r[2]
local limit, ttl, delay = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[6])
local picks, busy, from = {}, {}, 0
while true do
  for i = 1, #r, 2 do
    local m = r[i]
    local nl = string.byte(m, 1) ~= 128 and string.find(m, '\\n', 1, true)
    if not nl then
      picks[#picks + 1] = {m, r[i + 1], ''}
    else
      local host = string.sub(m, 1, nl - 1)
      if not busy[host] then
        local leases, nxt = ARGV[5] .. host .. ':leases', ARGV[5] .. host .. ':next'
        redis.call('ZREMRANGEBYSCORE', leases, '-inf', now)
        if redis.call('ZCARD', leases) < limit and tonumber(redis.call('GET', nxt) or '0') <= now then
          redis.call('ZADD', leases, now + ttl, ARGV[1] .. ':' .. (#picks + 1))
          redis.call('PEXPIRE', leases, ttl)
          if delay > 0 then redis.call('SET', nxt, now + delay, 'PX', delay + 1000) end
          picks[#picks + 1] = {m, r[i + 1], host}
        else
          busy[host] = true
        end
      end
    end
    if #picks >= want then break end
  end
  from = from + step
  if #picks >= want or from >= window or #r < 2 * step then break end
  r = redis.call('ZRANGE', KEYS[1], from, math.min(from + step, window) - 1, 'WITHSCORES')
  if #r == 0 then break end
end
if #picks == 0 then
  if ARGV[7] == '1' then return 0 end  -- every host in the window at its limit, and the caller would rather wait
  picks[1] = {head, headscore, ''}
end
local out = {}
for n, p in ipairs(picks) do
  redis.call('ZREM', KEYS[1], p[1])
  local field = ARGV[1] .. ':' .. n .. '|' .. p[2]
  redis.call('HSET', KEYS[2], field, p[1])
  local redo = redis.call('SREM', KEYS[3], redis.sha1hex(p[1]))
  out[#out + 1] = p[1]
  out[#out + 1] = field
  out[#out + 1] = redo
  out[#out + 1] = p[3]
end
return out
"""

# KEYS: queue, in-flight hash, dupefilter, units queued, per-host sequence hash; ARGV: score, data,
# in-flight token, fingerprint, unit, host. A fresh request (no token) whose unit was queued before is
# not queued again (2); a re-enqueued one (retry, redirect: it has the token of its in-flight original)
# always is, unless filtered.
# Hosts take turns within a priority: the n-th request of each host scores priority + n/10^6 (n cycling
# below 10^6). Equal scores would sort by member, i.e. by host name, and pop's window would then hold
# one or two hosts at their limit while the others wait (what held a fleet at ~1 request in flight).
_PUSH = """
if ARGV[3] ~= '' then redis.call('HDEL', KEYS[2], ARGV[3]) end
if ARGV[3] == '' and ARGV[5] ~= '' and redis.call('SISMEMBER', KEYS[4], ARGV[5]) == 1 then return 2 end
if ARGV[4] ~= '' and redis.call('SADD', KEYS[3], ARGV[4]) == 0 then return 0 end
local score = tonumber(ARGV[1])
if ARGV[6] ~= '' then score = score + (redis.call('HINCRBY', KEYS[5], ARGV[6], 1) % 999999) / 1000000 end
redis.call('ZADD', KEYS[1], score, ARGV[2])
if ARGV[5] ~= '' then redis.call('SADD', KEYS[4], ARGV[5]) end
return 1
"""


def _host(request: Request) -> str:
    return (urlsplit(request.url).hostname or "").lower()  # as the politeness middleware names it


def member(request: Request, data: bytes) -> bytes:
    """A queue member: the request's host, a newline, the serialized request (pickle: never starts
    with a host's character, so members without a host still decode)."""
    host = _host(request)
    return host.encode("utf-8", "surrogatepass") + b"\n" + data if host else data


def _strip_host(data: bytes) -> bytes:
    if data[:1] == b"\x80":  # a bare pickle
        return data
    return data.split(b"\n", 1)[1]


@dataclass(frozen=True)
class LeasePolicy:
    """What pop needs to take a host lease (the politeness middleware's settings)."""

    concurrency: int
    delay: float
    jitter: float
    lease_seconds: float
    window: int = 64

    def delay_ms(self) -> int:
        if self.delay <= 0:
            return 0
        spread = self.delay * self.jitter
        return int(1000 * random.uniform(self.delay - spread, self.delay + spread))


class AckPriorityQueue(PriorityQueue):
    """``PriorityQueue`` whose pop records the request in flight for this worker until :meth:`ack`."""

    inflight_key: str | None = None
    leases: LeasePolicy | None = None
    busy = False  # the last pop found requests queued, all for hosts at their limit
    redo_key: str = ""
    units_key: str = ""  # unbound: units are not tracked

    def __init__(self, server, spider, key, serializer=None):
        super().__init__(server, spider, key, serializer)
        self._pop = server.register_script(_POP)
        self._pop_leased = server.register_script(_POP_LEASED)
        self._push = server.register_script(_PUSH)

    def bind(self, inflight_key: str, redo_key: str = "", leases: LeasePolicy | None = None,
             units_key: str = "", memo_seconds: int = 0) -> None:
        """``memo_seconds`` (the client's retry window): pops and pushes then take effect once even
        when a Redis restart makes the client resend them (:mod:`govinspect.runstate.once`)."""
        self.inflight_key = inflight_key
        self.redo_key = redo_key
        self.leases = leases
        self.units_key = units_key
        if memo_seconds:
            memo = (f"{self.key}:memo", memo_seconds)
            self._pop = OnceScript(self.server, _POP, *memo)
            self._pop_leased = OnceScript(self.server, _POP_LEASED, *memo)
            self._push = OnceScript(self.server, _PUSH, *memo)

    def _encode_request(self, request: Request) -> bytes:
        return member(request, super()._encode_request(request))

    def _decode_request(self, encoded_request: bytes) -> Request:
        return super()._decode_request(_strip_host(encoded_request))

    def push(self, request: Request, dupefilter_key: str | None = None, fingerprint: str | None = None) -> int:
        """Queue ``request`` unless ``fingerprint`` is in the duplicate filter already (:data:`FILTERED`)
        or its unit was queued before (:data:`ALREADY`); either way a re-enqueued request's in-flight
        entry goes, in the same step."""
        return self.push_many([(request, fingerprint)], dupefilter_key)[0]

    def push_many(self, requests: Sequence[tuple[Request, str | None]], dupefilter_key: str | None = None) -> list[int]:
        """:meth:`push` for many ``(request, fingerprint)`` in one round trip (a batch of the same
        steps, each atomic on its own): a page's links cost one round trip, not one each."""
        batch = ScriptBatch(self.server)
        taken = []  # the in-flight token and lease each request carried (never queued with it)
        for request, fingerprint in requests:
            token, lease = request.meta.pop(ACK_META, None), request.meta.pop(LEASE_META, None)
            taken.append((request, token, lease))
            unit = (request.meta.get(UNIT_META) or "") if self.units_key else ""
            data = self._encode_request(request)
            keys = [self.key, self.inflight_key or "", dupefilter_key or "",
                    self.units_key or self.key + ":units", self.key + ":host-turns"]
            args = [-request.priority, data, token or "", fingerprint or "", unit, _host(request)]
            batch.add(self._push, keys=keys, args=args)
        try:
            return [int(r) for r in batch.execute()]
        except Exception:  # not queued: the requests are as they were, to be pushed again
            for request, token, lease in taken:
                if token:
                    request.meta[ACK_META] = token
                if lease:
                    request.meta[LEASE_META] = lease
            raise

    def pop(self, timeout: int = 0, leased_only: bool = False) -> Request | None:
        """The next request (None: nothing queued). With host leases bound, the first request of the
        window whose host has a free lease, holding it; ``leased_only``: None too when every host in
        the window is at its limit (then :attr:`busy` is True), rather than the head without a lease."""
        if self.inflight_key is None:  # unbound: behave like scrapy-redis
            self.busy = False
            return super().pop(timeout)
        popped = self.pop_many(1, leased_only)
        return popped[0] if popped else None

    def pop_many(self, want: int, leased_only: bool = False) -> list[Request]:
        """Up to ``want`` requests in one round trip, as many :meth:`pop` calls in a row would take them
        (each with its own in-flight entry and host lease; never more than a host's limit). Fewer when
        the window has no more requests whose host is free."""
        self.busy = False
        token = uuid.uuid4().hex
        keys = [self.key, self.inflight_key, self.redo_key or self.key + ":redo"]
        lease = self.leases
        if lease is None:
            found = self._pop(keys=keys, args=[token])
            return [self._popped(found[0], found[1], found[2], b"", token)] if found else []
        found = self._pop_leased(keys=keys, args=[
            token, lease.window, max(1, lease.concurrency), int(lease.lease_seconds * 1000), HOST_PREFIX,
            lease.delay_ms(), "1" if leased_only else "0", max(1, want)])
        if found == 0:
            self.busy = True
            return []
        if not found:
            return []
        return [self._popped(*found[i:i + 4], f"{token}:{i // 4 + 1}") for i in range(0, len(found), 4)]

    def _popped(self, data: bytes, field: bytes | str, redo: int, leased: bytes | str, token: str) -> Request:
        request = self._decode_request(data)
        request.meta[ACK_META] = field.decode() if isinstance(field, bytes) else field
        if redo:
            request.meta[REDO_META] = True
        if leased:
            host = leased.decode() if isinstance(leased, bytes) else leased
            request.meta[LEASE_META] = (host_keys(host)[0], token, host)
        return request

    def ack(self, request: Request) -> bool:
        """Forget a handled request; True if it was in flight here (False after a reaper took it)."""
        token = request.meta.pop(ACK_META, None)
        if not token or not self.inflight_key:
            return False
        return bool(self.server.hdel(self.inflight_key, token))

    def in_flight(self) -> int:
        return int(self.server.hlen(self.inflight_key)) if self.inflight_key else 0
