"""The library's run API: what the CLI (``crawl``, ``inspect``), the demo and fleet workers call.

``run_crawl(registry, settings, as_of)`` does one run in this process, start to end:

1. takes the run lock (:mod:`govinspect.locks`; ``lock_kind=None`` for on-demand runs);
2. refuses a run id the store already has (:class:`RunExists`), unless ``resume``;
3. folds runs whose process died as *interrupted* (never a live one: the locks say which);
4. records the run, opens its run state (``RUN_STATE_BACKEND``) with the sites' budgets and the
   run's facts (:func:`open_run`; a fleet ``seed`` stops here, workers :func:`join_run`);
5. crawls with a :class:`~govinspect.vocabulary.RunContext` handed to every component through the
   ``GOVINSPECT_RUN`` setting; the finaliser folds each site once, the store pipeline writes;
6. returns a :class:`RunResult` (the run's state is dropped when this process owned the run).
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from scrapy.settings import Settings

from govinspect.locks import Holder, LockHeld, run_alive, run_lock
from govinspect.registry import Registry, Site
from govinspect.runstate import open_run_state
from govinspect.vocabulary import RUN_CONTEXT_SETTING, RunContext

__all__ = ["LockHeld", "RunExists", "RunResult", "crawl_settings", "join_run", "new_run_id", "open_run", "prepare_run",
           "run_crawl"]

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
        state = open_run_state(settings, old)  # its run state (Redis keys) is of no further use
        try:
            state.purge()
        finally:
            state.close()
    if existing is None:
        args: dict[str, Any] = {"sites": len(list(registry)),
                                "host": holder.host if holder else socket.gethostname(),
                                "pid": holder.pid if holder else os.getpid()}
        store.start_run(run_id, as_of.isoformat(), args, registry)
    return recovered


#: run-state namespace/key of the run's facts (date, budget, registry), so a process joining a run
#: (a fleet worker) rebuilds the same RunContext: :func:`join_run`
RUN_FACTS = ("run", "facts")


def open_run(registry: Registry, settings: Settings, as_of: date, run_id: str, max_pages: int | None = None,
             holder: Holder | None = None, resume: bool = False, owner: bool = True) -> RunContext:
    """Start a run (the caller holds its lock): the store's side (:func:`prepare_run`), then its run
    state with the sites' budgets and the run's facts. ``seed`` does this, then queues the homepages."""
    from govinspect.store import FindingStore

    store = FindingStore.from_settings(settings)
    try:
        prepare_run(store, settings, registry, run_id, as_of, holder, resume)
    finally:
        store.close()
    budget = max_pages or settings.getint("MAX_PAGES_PER_SITE")
    state = open_run_state(settings, run_id)
    state.begin({site.id: budget for site in registry})
    if state.get(*RUN_FACTS) is None:
        state.put(*RUN_FACTS, {"as_of": as_of.isoformat(), "max_pages": budget,
                               "registry": [asdict(site) for site in registry]})
    return RunContext(run_id=run_id, as_of=as_of, registry=registry, state=state, max_pages=budget, owner=owner)


def join_run(settings: Settings, run_id: str) -> RunContext:
    """The context of a run another process opened (:func:`open_run`), from its run state: what a
    fleet worker hands its crawler. Raises ``LookupError`` when the run state has no such run."""
    state = open_run_state(settings, run_id)
    facts = state.get(*RUN_FACTS)
    if facts is None:
        state.close()
        raise LookupError(f"run {run_id!r} is not in the run state ({settings.get('RUN_STATE_BACKEND')})")
    sites = [Site(**{k: tuple(v) if isinstance(v, list) else v for k, v in row.items()}) for row in facts["registry"]]
    return RunContext(run_id=run_id, as_of=date.fromisoformat(facts["as_of"]), registry=Registry(sites),
                      state=state, max_pages=facts["max_pages"], owner=False)


def run_crawl(registry: Registry, settings: Settings, as_of: date, run_id: str | None = None,
              max_pages: int | None = None, sites: Iterable[str] | None = None, *,
              lock_kind: str | None = "crawl", resume: bool = False) -> RunResult:
    """Crawl and inspect every site of ``registry`` (or only ``sites``) once; blocks until the run ends.

    Raises :class:`LockHeld` when another run holds the ``lock_kind`` lock, :class:`RunExists` for a
    reused ``run_id``. ``resume`` (the hook for ``worker --run-id``) joins an existing run instead.
    """
    from scrapy.crawler import CrawlerProcess

    from crawler.spiders.cluster import ClusterSpider

    if sites is not None:
        registry = registry.select(sites)
    run_id = run_id or new_run_id()
    store_path = Path(settings.get("GOVINSPECT_STORE"))
    with run_lock(settings, run_id, kind=lock_kind) as holder:
        context = open_run(registry, settings, as_of, run_id, max_pages, holder, resume, owner=not resume)
        try:
            stats = _crawl(CrawlerProcess, ClusterSpider, settings, context)
            if context.owner:
                context.state.purge()
        finally:
            context.state.close()
    return RunResult(run_id, str(stats.get("finish_reason", "unknown")), store_path, stats)


def crawl_settings(settings: Settings, context: RunContext) -> Settings:
    """The settings a crawler of this run gets: the run context, the finaliser and the host limit always on.

    Without the finaliser nothing is folded, so a settings file or ``-s EXTENSIONS=…`` that replaces
    the ``EXTENSIONS`` dict does not drop it (only naming it with ``None`` there would).
    """
    settings = settings.copy()
    settings.set(RUN_CONTEXT_SETTING, context, priority="cmdline")
    # SSRF defence: the registry's own hosts may live on internal addresses (govinspect/addresses.py)
    settings.set("NETWORK_SITE_HOSTS", sorted({h for site in context.registry for h in site.hosts}),
                 priority="cmdline")
    extensions = settings.getdict("EXTENSIONS")
    finaliser = settings.get("RUN_FINALISER")
    if finaliser not in extensions:
        extensions[finaliser] = 100
        settings.set("EXTENSIONS", extensions, priority=max(settings.getpriority("EXTENSIONS") or 0, 40))
    # per-host concurrency whatever the delay (crawler/hostlimit.py), also when the dict is replaced
    middlewares = settings.getdict("DOWNLOADER_MIDDLEWARES")
    host_limit = settings.get("HOST_LIMIT_MIDDLEWARE")
    if host_limit and host_limit not in middlewares:
        middlewares[host_limit] = 995
        settings.set("DOWNLOADER_MIDDLEWARES", middlewares,
                     priority=max(settings.getpriority("DOWNLOADER_MIDDLEWARES") or 0, 40))
    return settings


def _crawl(process_cls: Any, spider_cls: Any, settings: Settings, context: RunContext) -> dict:
    settings = crawl_settings(settings, context)
    process = process_cls(settings)
    crawler = process.create_crawler(spider_cls)
    process.crawl(crawler)
    process.start()
    return crawler.stats.get_stats() if crawler.stats else {}


