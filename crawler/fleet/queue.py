"""scrapy-redis's priority queue with acknowledgement: a popped request stays recorded until it is done.

Stock ``scrapy_redis.queue.PriorityQueue.pop`` removes the request from Redis: if the worker dies
before handling it, the page is lost (and its fingerprint is already in the duplicate filter, so no
one fetches it again). Here pop *moves* the request into the worker's in-flight hash in one Lua step;
the field is ``<token>|<score>`` so a reaper can put it back at its priority. :meth:`ack` deletes it
when the request's callback or errback has run; a request re-enqueued by a middleware (retry,
redirect) replaces its in-flight entry in the same transaction.
"""

from __future__ import annotations

import uuid

from scrapy import Request
from scrapy_redis.queue import PriorityQueue

# The request meta key carrying the in-flight field of a popped request.
ACK_META = "fleet_ack"

_POP = """
local r = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
if #r == 0 then return false end
redis.call('ZREM', KEYS[1], r[1])
local field = ARGV[1] .. '|' .. r[2]
redis.call('HSET', KEYS[2], field, r[1])
return {r[1], field}
"""


class AckPriorityQueue(PriorityQueue):
    """``PriorityQueue`` whose pop records the request in flight for this worker until :meth:`ack`."""

    inflight_key: str | None = None

    def bind(self, inflight_key: str) -> None:
        self.inflight_key = inflight_key
        self._pop = self.server.register_script(_POP)

    def push(self, request: Request) -> None:
        token = request.meta.pop(ACK_META, None)
        data = self._encode_request(request)
        pipe = self.server.pipeline(transaction=True)
        pipe.execute_command("ZADD", self.key, -request.priority, data)
        if token and self.inflight_key:
            pipe.hdel(self.inflight_key, token)
        pipe.execute()

    def pop(self, timeout: int = 0) -> Request | None:
        if self.inflight_key is None:  # unbound: behave like scrapy-redis
            return super().pop(timeout)
        found = self._pop(keys=[self.key, self.inflight_key], args=[uuid.uuid4().hex])
        if not found:
            return None
        data, field = found
        request = self._decode_request(data)
        request.meta[ACK_META] = field.decode() if isinstance(field, bytes) else field
        return request

    def ack(self, request: Request) -> bool:
        """Forget a handled request; True if it was in flight here (False after a reaper took it)."""
        token = request.meta.pop(ACK_META, None)
        if not token or not self.inflight_key:
            return False
        return bool(self.server.hdel(self.inflight_key, token))

    def in_flight(self) -> int:
        return int(self.server.hlen(self.inflight_key)) if self.inflight_key else 0
