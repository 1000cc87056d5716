"""The library's run API: what the CLI (``crawl``, ``inspect``), the demo and fleet workers call.

``run_crawl(registry, settings, as_of)`` does one run in this process, start to end:

1. takes the run lock (:mod:`govinspect.locks`; ``lock_kind=None`` for on-demand runs);
2. refuses a run id the store already has (:class:`RunExists`), unless ``resume``;
3. folds runs whose process died as *interrupted* (never a live one: the locks say which);
4. records the run, opens its run state (``RUN_STATE_BACKEND``) with the sites' budgets;
5. crawls with a :class:`~govinspect.vocabulary.RunContext` handed to every component through the
   ``GOVINSPECT_RUN`` setting; the finaliser folds each site once, the store pipeline writes;
6. returns a :class:`RunResult` (the run's state is dropped when this process owned the run).
"""

from __future__ import annotations

import logging
import secrets
import socket
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from scrapy.settings import Settings

from govinspect.locks import Holder, LockHeld, run_alive, run_lock
from govinspect.registry import Registry
from govinspect.runstate import RunState, open_run_state
from govinspect.vocabulary import RUN_CONTEXT_SETTING, RunContext

__all__ = ["LockHeld", "RunExists", "RunResult", "crawl_settings", "new_run_id", "prepare_run", "run_crawl"]

logger = logging.getLogger(__name__)


class RunExists(ValueError):
    """The store already has a run with this id (reusing it would rewrite that run's record)."""

    def __init__(self, run_id: str, status: str):
        self.run_id = run_id
        super().__init__(f"run id {run_id!r} already exists in the store (status {status}); choose another id")


@dataclass
class RunResult:
    run_id: str
    finish_reason: str
    store_path: Path
    stats: dict

    @property
    def completed(self) -> bool:
        return self.finish_reason == "finished"


def new_run_id() -> str:
    return datetime.now().strftime("%Y%m%dT%H%M%S") + "-" + secrets.token_hex(2)


def prepare_run(store: Any, settings: Settings, registry: Registry, run_id: str, as_of: date,
                holder: Holder | None = None, resume: bool = False) -> list[str]:
    """Steps 2–4 in the store (the caller holds the run lock): refuse a reused id, fold runs whose
    process died, record this run. Returns the ids folded as interrupted.

    ``resume=True`` is the hook for a fleet ``worker --run-id`` that joins a run ``seed`` recorded:
    the existing record is kept as is.
    """
    existing = store.run(run_id)
    if existing is not None and not resume:
        raise RunExists(run_id, existing["status"])
    recovered = store.recover_interrupted(
        {s.id: s for s in registry}, alive=lambda run: run["run_id"] == run_id or run_alive(settings, run))
    for old in recovered:
        logger.warning("run %s was interrupted; its findings were kept, none marked fixed", old)
    if existing is None:
        args: dict[str, Any] = {"sites": len(list(registry)),
                                "host": holder.host if holder else socket.gethostname(),
                                "pid": holder.pid if holder else None}
        store.start_run(run_id, as_of.isoformat(), args, registry)
    return recovered


def run_crawl(registry: Registry, settings: Settings, as_of: date, run_id: str | None = None,
              max_pages: int | None = None, sites: Iterable[str] | None = None, *,
              lock_kind: str | None = "crawl", resume: bool = False) -> RunResult:
    """Crawl and inspect every site of ``registry`` (or only ``sites``) once; blocks until the run ends.

    Raises :class:`LockHeld` when another run holds the ``lock_kind`` lock, :class:`RunExists` for a
    reused ``run_id``.
    """
    from scrapy.crawler import CrawlerProcess

    from crawler.spiders.cluster import ClusterSpider
    from govinspect.store import FindingStore

    if sites is not None:
        registry = registry.select(sites)
    run_id = run_id or new_run_id()
    budget = max_pages or settings.getint("MAX_PAGES_PER_SITE")
    store_path = Path(settings.get("GOVINSPECT_STORE"))
    with run_lock(settings, run_id, kind=lock_kind) as holder:
        store = FindingStore.from_settings(settings)
        try:
            prepare_run(store, settings, registry, run_id, as_of, holder, resume)
        finally:
            store.close()
        state = open_run_state(settings, run_id)
        try:
            state.begin({site.id: budget for site in registry})
            context = RunContext(run_id=run_id, as_of=as_of, registry=registry, state=state, max_pages=budget,
                                 owner=not resume)
            stats = _crawl(CrawlerProcess, ClusterSpider, settings, context)
            if context.owner:
                state.purge()
        finally:
            state.close()
    return RunResult(run_id, str(stats.get("finish_reason", "unknown")), store_path, stats)


def crawl_settings(settings: Settings, context: RunContext) -> Settings:
    """The settings a crawler of this run gets: the run context, and the finaliser always on.

    Without the finaliser nothing is folded, so a settings file or ``-s EXTENSIONS=…`` that replaces
    the ``EXTENSIONS`` dict does not drop it (only naming it with ``None`` there would).
    """
    settings = settings.copy()
    settings.set(RUN_CONTEXT_SETTING, context, priority="cmdline")
    extensions = settings.getdict("EXTENSIONS")
    finaliser = settings.get("RUN_FINALISER")
    if finaliser not in extensions:
        extensions[finaliser] = 100
        settings.set("EXTENSIONS", extensions, priority=max(settings.getpriority("EXTENSIONS") or 0, 40))
    return settings


def _crawl(process_cls: Any, spider_cls: Any, settings: Settings, context: RunContext) -> dict:
    settings = crawl_settings(settings, context)
    process = process_cls(settings)
    crawler = process.create_crawler(spider_cls)
    process.crawl(crawler)
    process.start()
    return crawler.stats.get_stats() if crawler.stats else {}


def open_state(settings: Settings, run_id: str) -> RunState:
    """The run state of ``run_id`` as ``settings`` choose it (for tools and workers joining a run)."""
    return open_run_state(settings, run_id)
