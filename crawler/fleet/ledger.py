"""Acknowledgements a worker writes to Redis as it finishes requests (per-site progress is the run
state's: govinspect/runstate)."""

from __future__ import annotations

from crawler.fleet.keys import RunKeys
from crawler.fleet.queue import ACK_META


class Ledger:
    def __init__(self, server, keys: RunKeys, worker: str):
        self.server = server
        self.keys = keys
        self.worker = worker

    def ack(self, meta: dict) -> None:
        """Acknowledge the request whose ``meta`` this is: off this worker's in-flight hash."""
        token = meta.pop(ACK_META, None)
        if not token:
            return
        self.ack_many([token])

    def ack_many(self, tokens: list[str]) -> None:
        """Acknowledge several requests in one round trip (acknowledgements that queued up meanwhile)."""
        if not tokens:
            return
        pipe = self.server.pipeline(transaction=True)
        pipe.hdel(self.keys.inflight(self.worker), *tokens)
        pipe.hincrby(self.keys.done_by, self.worker, len(tokens))
        pipe.execute()
