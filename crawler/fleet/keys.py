"""Names of the Redis keys of one fleet run (all under ``govinspect:``, so one Redis can hold many runs)."""

from __future__ import annotations

from dataclasses import dataclass

PREFIX = "govinspect:fleet"
RUNS = f"{PREFIX}:runs"  # zset run_id -> creation time
LOCK = f"{PREFIX}:lock"  # the seed lock: JSON {run_id, host, started}; expires unless workers refresh it


@dataclass(frozen=True)
class RunKeys:
    run_id: str

    @property
    def base(self) -> str:
        return f"{PREFIX}:run:{self.run_id}"

    @property
    def meta(self) -> str:  # hash: registry JSON, as_of, max_pages, status, created, host
        return f"{self.base}:meta"

    @property
    def queue(self) -> str:  # scrapy-redis priority queue (zset)
        return f"{self.base}:requests"

    @property
    def dupefilter(self) -> str:  # scrapy-redis fingerprints (set)
        return f"{self.base}:dupefilter"

    @property
    def workers(self) -> str:  # hash worker -> heartbeat counter
        return f"{self.base}:workers"

    @property
    def seen(self) -> str:  # hash worker -> Redis time (s) of its last heartbeat, for display
        return f"{self.base}:seen"

    @property
    def inflight_prefix(self) -> str:
        return f"{self.base}:inflight:"

    def inflight(self, worker: str) -> str:  # hash token -> serialized request
        return self.inflight_prefix + worker

    @property
    def done_by(self) -> str:  # hash worker -> requests acknowledged
        return f"{self.base}:done-by"

    @property
    def redo(self) -> str:  # set of sha1 of requeued requests: popped again, they are redone
        return f"{self.base}:redo"

    @property
    def requeued(self) -> str:  # counter of requests put back from dead workers
        return f"{self.base}:requeued"

    @property
    def units(self) -> str:  # set of the units of work queued (crawler/fleet/queue.py): each queued once
        return f"{self.base}:units"


HOST_PREFIX = f"{PREFIX}:host:"  # the queue's pop script names host keys from it (see host_keys)


def host_keys(host: str) -> tuple[str, str]:
    """(leases zset, next-allowed time) of one host, shared by every run: politeness is per host."""
    return f"{HOST_PREFIX}{host}:leases", f"{HOST_PREFIX}{host}:next"
