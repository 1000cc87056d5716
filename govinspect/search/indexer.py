"""Bulk indexing with retries and exponential backoff, script-free.

Every document is written whole with ``index`` (the store holds the full state), so no painless
script or ``_update_by_query`` is needed. Finding documents carry an external version (``updated_at``
in milliseconds, ``external_gte``): a late retry or a concurrent ``es sync`` never overwrites a newer
state with an older one; the engine answers 409, which means "already newer" and counts as done.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from govinspect.search.adapter import EngineUnavailable, SearchEngine

log = logging.getLogger(__name__)

RETRY_STATUSES = frozenset({429, 502, 503, 504})


@dataclass(frozen=True)
class Action:
    """One document to write: target index, id, body, and an optional external version."""

    index: str
    id: str
    source: dict[str, Any]
    version: int | None = None

    def header(self) -> dict[str, Any]:
        meta: dict[str, Any] = {"_index": self.index, "_id": self.id}
        if self.version is not None:
            meta.update(version=self.version, version_type="external_gte")
        return {"index": meta}


@dataclass
class BulkResult:
    done: list[Action] = field(default_factory=list)
    failed: list[tuple[Action, str]] = field(default_factory=list)
    retries: int = 0

    def merge(self, other: BulkResult) -> None:
        self.done.extend(other.done)
        self.failed.extend(other.failed)
        self.retries += other.retries


def chunks(items: Iterable[Action], size: int) -> Iterator[list[Action]]:
    batch: list[Action] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


class Indexer:
    """Sends :class:`Action` batches; raises :class:`EngineUnavailable` once retries are spent."""

    def __init__(
        self, engine: SearchEngine, *, retries: int = 4, backoff: float = 0.5, max_backoff: float = 10.0,
        chunk_size: int = 1000, refresh: bool = False, sleep: Callable[[float], None] = time.sleep,
        concurrency: int = 2,
    ):
        self.engine = engine
        self.retries = retries
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.chunk_size = chunk_size
        self.refresh = refresh
        self.sleep = sleep
        self.concurrency = max(1, concurrency)

    def send(
        self, actions: Iterable[Action], on_chunk: Callable[[BulkResult], None] | None = None
    ) -> BulkResult:
        """Index everything; ``on_chunk`` sees each chunk's result (in order) once it is durable.

        Up to ``concurrency`` bulk requests are in flight while the next chunk's documents are built,
        so neither side waits for the other.
        """
        total = BulkResult()

        def finish(future: Future[BulkResult]) -> None:
            result = future.result()
            if on_chunk is not None:
                on_chunk(result)
            total.merge(result)

        inflight: deque[Future[BulkResult]] = deque()
        with ThreadPoolExecutor(self.concurrency, thread_name_prefix="govinspect-bulk") as pool:
            try:
                for batch in chunks(actions, self.chunk_size):
                    inflight.append(pool.submit(self._send_chunk, batch))
                    if len(inflight) >= self.concurrency:
                        finish(inflight.popleft())
                while inflight:
                    finish(inflight.popleft())
            finally:
                for future in inflight:  # an error ends the send: let running chunks finish quietly
                    future.cancel()
        return total

    def _delay(self, attempt: int) -> float:
        return min(self.max_backoff, self.backoff * (2 ** attempt))

    def _send_chunk(self, batch: list[Action]) -> BulkResult:
        result = BulkResult()
        pending = batch
        attempt = 0
        while pending:
            operations: list[dict[str, Any]] = []
            for action in pending:
                operations.extend((action.header(), action.source))
            try:
                reply = self.engine.bulk(operations, refresh=self.refresh)
            except EngineUnavailable:
                if attempt >= self.retries:
                    raise
                self.sleep(self._delay(attempt))
                attempt += 1
                result.retries += 1
                continue
            retry: list[Action] = []
            for action, item in zip(pending, reply.get("items", []), strict=True):
                outcome = next(iter(item.values()))
                status = int(outcome.get("status", 500))
                if status < 300 or status == 409:
                    result.done.append(action)
                elif status in RETRY_STATUSES and attempt < self.retries:
                    retry.append(action)
                else:
                    reason = outcome.get("error", {})
                    reason = reason.get("reason", reason) if isinstance(reason, dict) else reason
                    result.failed.append((action, f"HTTP {status}: {str(reason)[:300]}"))
            if retry:
                self.sleep(self._delay(attempt))
                attempt += 1
                result.retries += 1
            pending = retry
        for action, reason in result.failed:
            log.error("index %s refused document %s: %s", action.index, action.id, reason)
        return result
