"""scrapy-redis's priority queue with acknowledgement: a popped request stays recorded until it is done.

Stock ``scrapy_redis.queue.PriorityQueue.pop`` removes the request from Redis: if the worker dies
before handling it, the page is lost (and its fingerprint is already in the duplicate filter, so no
one fetches it again). Here pop *moves* the request into the worker's in-flight hash in one Lua step;
the field is ``<token>|<score>`` so a reaper can put it back at its priority. :meth:`ack` deletes it
when the request's callback or errback has run; a request re-enqueued by a middleware (retry,
redirect) replaces its in-flight entry in the same transaction.

Requests the fleet spider names a unit of work for (``meta["gi_unit"]``) are queued once per run: a
page redone after its worker died yields its follow-ups again, and those its first run had queued
already are not queued twice (:data:`ALREADY`).
"""

from __future__ import annotations

import uuid

from scrapy import Request
from scrapy_redis.queue import PriorityQueue

# The request meta key carrying the in-flight field of a popped request.
ACK_META = "fleet_ack"
# Set on a request popped again after a dead worker's in-flight requests were put back.
REDO_META = "fleet_redo"
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

# KEYS: queue, in-flight hash, dupefilter, units queued; ARGV: score, data, in-flight token, fingerprint, unit.
# A fresh request (no token) whose unit was queued before is not queued again (2); a re-enqueued one
# (retry, redirect: it has the token of its in-flight original) always is, unless filtered.
_PUSH = """
if ARGV[3] ~= '' then redis.call('HDEL', KEYS[2], ARGV[3]) end
if ARGV[3] == '' and ARGV[5] ~= '' and redis.call('SISMEMBER', KEYS[4], ARGV[5]) == 1 then return 2 end
if ARGV[4] ~= '' and redis.call('SADD', KEYS[3], ARGV[4]) == 0 then return 0 end
redis.call('ZADD', KEYS[1], ARGV[1], ARGV[2])
if ARGV[5] ~= '' then redis.call('SADD', KEYS[4], ARGV[5]) end
return 1
"""


class AckPriorityQueue(PriorityQueue):
    """``PriorityQueue`` whose pop records the request in flight for this worker until :meth:`ack`."""

    inflight_key: str | None = None
    redo_key: str = ""
    units_key: str = ""  # unbound: units are not tracked

    def __init__(self, server, spider, key, serializer=None):
        super().__init__(server, spider, key, serializer)
        self._pop = server.register_script(_POP)
        self._push = server.register_script(_PUSH)

    def bind(self, inflight_key: str, redo_key: str = "", units_key: str = "") -> None:
        self.inflight_key = inflight_key
        self.redo_key = redo_key
        self.units_key = units_key

    def push(self, request: Request, dupefilter_key: str | None = None, fingerprint: str | None = None) -> int:
        """Queue ``request`` unless ``fingerprint`` is in the duplicate filter already (:data:`FILTERED`)
        or its unit was queued before (:data:`ALREADY`); either way a re-enqueued request's in-flight
        entry goes, in the same step."""
        token = request.meta.pop(ACK_META, None) or ""
        unit = (request.meta.get(UNIT_META) or "") if self.units_key else ""
        data = self._encode_request(request)
        return int(self._push(keys=[self.key, self.inflight_key or "", dupefilter_key or "",
                                    self.units_key or self.key + ":units"],
                              args=[-request.priority, data, token, fingerprint or "", unit]))

    def pop(self, timeout: int = 0) -> Request | None:
        if self.inflight_key is None:  # unbound: behave like scrapy-redis
            return super().pop(timeout)
        found = self._pop(keys=[self.key, self.inflight_key, self.redo_key or self.key + ":redo"],
                          args=[uuid.uuid4().hex])
        if not found:
            return None
        data, field, redo = found
        request = self._decode_request(data)
        request.meta[ACK_META] = field.decode() if isinstance(field, bytes) else field
        if redo:
            request.meta[REDO_META] = True
        return request

    def ack(self, request: Request) -> bool:
        """Forget a handled request; True if it was in flight here (False after a reaper took it)."""
        token = request.meta.pop(ACK_META, None)
        if not token or not self.inflight_key:
            return False
        return bool(self.server.hdel(self.inflight_key, token))

    def in_flight(self) -> int:
        return int(self.server.hlen(self.inflight_key)) if self.inflight_key else 0
