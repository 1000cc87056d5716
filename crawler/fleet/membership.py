"""Workers of a run: heartbeats, reaping the silent ones, and deciding when the run is done.

A worker's heartbeat is a counter it increments in Redis every ``FLEET_HEARTBEAT_SECONDS``. Others
judge it by watching that counter with their *own* clock: a worker whose counter has not moved for
``FLEET_WORKER_TIMEOUT`` seconds of continuous observation is dead, and its in-flight requests go back
to the queue at their priority. Comparing counters rather than timestamps means no clock skew between
machines, and a Redis restart (every heartbeat frozen at once) does not make everyone reap everyone:
the counters move again as soon as the workers reconnect. Observation must be continuous: a watcher
that could not look for half the timeout (Redis away, its own process stalled) starts watching
afresh rather than count the gap as the others' silence.
"""

from __future__ import annotations

import logging
import time

from crawler.fleet.keys import RunKeys

logger = logging.getLogger(__name__)

_BEAT = """
local n = redis.call('HINCRBY', KEYS[1], ARGV[1], 1)
local t = redis.call('TIME')
redis.call('HSET', KEYS[2], ARGV[1], t[1])
return n
"""

# Put a silent worker's in-flight requests back, unless its heartbeat moved since it was judged.
_REAP = """
local hb = redis.call('HGET', KEYS[3], ARGV[1])
if hb and hb ~= ARGV[2] then return -1 end
local all = redis.call('HGETALL', KEYS[2])
local n = 0
for i = 1, #all, 2 do
  local score = string.match(all[i], '|([^|]+)$')
  redis.call('ZADD', KEYS[1], tonumber(score), all[i + 1])
  redis.call('SADD', KEYS[6], redis.sha1hex(all[i + 1]))
  n = n + 1
end
redis.call('DEL', KEYS[2])
redis.call('HDEL', KEYS[3], ARGV[1])
redis.call('HDEL', KEYS[4], ARGV[1])
if n > 0 then redis.call('INCRBY', KEYS[5], n) end
return n
"""

# Done: nothing queued and nothing in flight at any registered worker, read in one atomic step
# (a worker pushes a page's links before it acknowledges the page, so there is no gap to fall into).
_DONE = """
if redis.call('ZCARD', KEYS[1]) > 0 then return 0 end
local ws = redis.call('HKEYS', KEYS[2])
for _, w in ipairs(ws) do
  if redis.call('HLEN', ARGV[1] .. w) > 0 then return 0 end
end
return 1
"""


class Membership:
    def __init__(self, server, keys: RunKeys, worker: str, timeout: float):
        self.server = server
        self.keys = keys
        self.worker = worker
        self.timeout = timeout
        self._watch: dict[str, tuple[bytes, float]] = {}
        self._looked: float | None = None  # when this watcher last read the heartbeats
        self._beat = server.register_script(_BEAT)
        self._reap = server.register_script(_REAP)
        self._done = server.register_script(_DONE)

    def heartbeat(self) -> None:
        self._beat(keys=[self.keys.workers, self.keys.seen], args=[self.worker])

    def reap(self, exclude_self: bool = True) -> int:
        """Requeue the in-flight requests of workers silent for the timeout; returns how many."""
        beats = self.server.hgetall(self.keys.workers)
        now = time.monotonic()
        gap, self._looked = now - (self._looked or now), now
        if gap > self.timeout / 2:
            # not watched continuously (Redis restarted, or this process stalled): nobody is judged on it
            logger.info("heartbeats not watched for %.0f s: watching afresh", gap)
            self._watch = {raw.decode(): (beat, now) for raw, beat in beats.items()}
            return 0
        requeued = 0
        for raw, beat in beats.items():
            worker = raw.decode()
            if exclude_self and worker == self.worker:
                continue
            seen = self._watch.get(worker)
            if seen is None or seen[0] != beat:
                self._watch[worker] = (beat, now)
                continue
            if now - seen[1] < self.timeout:
                continue
            n = self.requeue(worker, beat)
            if n >= 0:
                self._watch.pop(worker, None)
                requeued += n
                logger.warning("worker %s silent for %.0f s: %d in-flight requests back in the queue",
                               worker, now - seen[1], n)
        for gone in set(self._watch) - {b.decode() for b in beats}:
            self._watch.pop(gone, None)
        return requeued

    def requeue(self, worker: str, beat: bytes | str = "") -> int:
        keys = [self.keys.queue, self.keys.inflight(worker), self.keys.workers, self.keys.seen, self.keys.requeued,
                self.keys.redo]
        return int(self._reap(keys=keys, args=[worker, beat]))

    def leave(self) -> int:
        """Deregister this worker; whatever it still holds goes back to the queue."""
        beat = self.server.hget(self.keys.workers, self.worker) or ""
        return self.requeue(self.worker, beat)

    def is_done(self) -> bool:
        return bool(self._done(keys=[self.keys.queue, self.keys.workers], args=[self.keys.inflight_prefix]))

    def others(self) -> list[str]:
        return [w.decode() for w in self.server.hkeys(self.keys.workers) if w.decode() != self.worker]

    def wait_alone(self, limit: float, poll: float = 0.5) -> bool:
        """Wait (reaping the dead) until no other worker is registered; False after ``limit`` seconds."""
        end = time.monotonic() + limit
        while self.others():
            if time.monotonic() > end:
                return False
            self.reap()
            time.sleep(poll)
        return True
