"""What a worker writes to Redis as it finishes requests: acknowledgements and per-site progress.

The acknowledgement and the progress it brings are one transaction, so a killed worker's counts
cover exactly the requests it acknowledged (the others are requeued and counted by whoever redoes
them). Progress is per site: pages, errors, blocked answers, whether the homepage was fetched, and
whether the page budget ran out -- what the finaliser needs to decide whether the run completed a site.
"""

from __future__ import annotations

from dataclasses import dataclass

from crawler.fleet.connection import client_from_settings
from crawler.fleet.keys import RunKeys
from crawler.fleet.queue import ACK_META
from crawler.progress import SiteProgress

COUNTERS = ("pages", "errors", "blocked")
FLAGS = ("homepage_done", "homepage_ok", "budget_exhausted")


@dataclass
class SiteTotals:
    pages: int = 0
    errors: int = 0
    blocked: int = 0
    homepage_done: bool = False
    homepage_ok: bool = False
    budget_exhausted: bool = False

    def as_progress(self, site_id: str, max_pages: int) -> SiteProgress:
        return SiteProgress(site_id, max_pages, pages=self.pages, errors=self.errors, blocked=self.blocked,
                            budget_exhausted=self.budget_exhausted, homepage_ok=self.homepage_ok,
                            homepage_done=self.homepage_done)


class Ledger:
    def __init__(self, server, keys: RunKeys, worker: str):
        self.server = server
        self.keys = keys
        self.worker = worker
        self._pushed: dict[str, SiteTotals] = {}

    @classmethod
    def from_settings(cls, settings) -> Ledger:
        return cls(client_from_settings(settings), RunKeys(settings["FLEET_RUN_ID"]), settings["FLEET_WORKER_ID"])

    def ack(self, meta: dict, progress: tuple[str, SiteTotals] | None) -> None:
        """Acknowledge the request whose ``meta`` this is, with its site's progress (a :func:`snapshot`)
        since the last acknowledgement."""
        token = meta.pop(ACK_META, None)
        pipe = self.server.pipeline(transaction=True)
        if token:
            pipe.hdel(self.keys.inflight(self.worker), token)
            pipe.hincrby(self.keys.done_by, self.worker, 1)
        if progress is not None:
            self._progress(pipe, progress)
        pipe.execute()

    def _progress(self, pipe, snap: tuple[str, SiteTotals]) -> None:
        site_id, progress = snap
        last = self._pushed.setdefault(site_id, SiteTotals())
        key = self.keys.progress(site_id)
        for name in COUNTERS:
            delta = getattr(progress, name) - getattr(last, name)
            if delta:
                pipe.hincrby(key, name, delta)
                setattr(last, name, getattr(progress, name))
        for name in FLAGS:
            if getattr(progress, name) and not getattr(last, name):
                pipe.hset(key, name, 1)
                setattr(last, name, True)


def snapshot(progress: SiteProgress) -> tuple[str, SiteTotals]:
    """The site's counts now, to be acknowledged later (from another thread)."""
    return progress.site_id, SiteTotals(**{name: getattr(progress, name) for name in COUNTERS + FLAGS})


def read_totals(server, keys: RunKeys, site_id: str) -> SiteTotals:
    raw = {k.decode(): int(v) for k, v in server.hgetall(keys.progress(site_id)).items()}
    return SiteTotals(**{name: raw.get(name, 0) for name in COUNTERS},
                      **{name: bool(raw.get(name, 0)) for name in FLAGS})
