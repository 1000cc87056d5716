"""The finaliser: folds each site exactly once per run, as soon as the whole run is done with it.

It counts work off the run state as the store pipeline announces it stored (``work_done``); when a
site's homepage is answered and nothing it waits for is pending (its pages, its checks, and targets
other sites check for it), the process that sees it first claims the site's finalisation in the run
state and folds it: inspectors conclude (``site_concluding``), completion is decided, the store folds
the site's observations into findings, and ``site_finalized`` goes to the indexers. It does not
matter which process of a run that is.

In single-machine mode (``RunContext.owner``) this process owns the run: when its crawl closes, it
folds the sites still open (a run stopped early completes none of them) and closes the run record.
A fleet worker closing folds nothing it is not done with; the run record is closed by whoever folds
the run's last site.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable
from typing import TYPE_CHECKING

from scrapy import signals
from scrapy.exceptions import NotConfigured
from twisted.python.failure import Failure

from govinspect import signals as gi_signals
from govinspect.completeness import incomplete_reason
from govinspect.faults import DISK_FULL, is_disk_full
from govinspect.findings import Observation, WorkDone
from govinspect.store import FindingStore
from govinspect.vocabulary import RunContext

if TYPE_CHECKING:
    from scrapy import Spider
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)


class Finaliser:
    def __init__(self, crawler: Crawler, context: RunContext, store: FindingStore):
        if context.state is None:
            raise NotConfigured("the run context has no run state")
        self.crawler = crawler
        self.context = context
        self.state = context.state
        self.run_id = context.run_id
        self.store = store
        self.folded = 0

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Finaliser:
        context = RunContext.of(crawler.settings)
        if context is None:
            raise NotConfigured("no run context (GOVINSPECT_RUN)")
        ext = cls(crawler, context, FindingStore.shared(crawler.settings))
        crawler.signals.connect(ext.work_done, signal=gi_signals.work_done)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    # ---- counting work off -------------------------------------------------------------------------
    def work_done(self, markers: Iterable[WorkDone]) -> None:
        """Count stored work off the run state (batched: one call, one round trip in Redis)."""
        pages: Counter[str] = Counter()
        units: dict[str, list[WorkDone]] = {}
        targets: list[str] = []
        for marker in markers:
            if marker.target is not None:
                targets.append(marker.target)
            elif getattr(marker, "unit", None):  # a fleet's page: counted off once, even when redone
                units.setdefault(marker.site_id, []).append(marker)
            else:
                pages[marker.site_id] += 1
        if not (targets or pages or units):
            return
        left = self.state.count_off(targets, pages, {
            site_id: ([m.unit for m in done], [getattr(m, "counts", ()) for m in done])
            for site_id, done in units.items()})
        # with work left a site is not done: no second read
        for site_id in sorted(s for s, n in left.items() if n <= 0):
            if self.context.registry.get(site_id) is not None and self.state.is_done(site_id):
                if self.waits_for_parent(site_id):
                    continue
                try:
                    self.finalise(site_id, "finished")
                except Exception as exc:
                    if not is_disk_full(exc):
                        raise
                    logger.error("site %s could not be folded (disk full: %s)", site_id, exc)
                    self.fold_failed = True  # leave the run "running": the next run folds it as interrupted
                    if self.crawler.stats is not None:
                        self.crawler.stats.set_value("govinspect/store_error", f"{DISK_FULL}: {exc}")
                    return

    def waits_for_parent(self, site_id: str) -> bool:
        """A child site (registry ``parent``) is folded once its parent in the run is done too: its
        conclusions compare it with the parent's pages (policy.repost-late reads the parent's facts)."""
        site = self.context.registry.get(site_id)
        parent = self.context.registry.get(site.parent) if site is not None and site.parent else None
        return parent is not None and not self.state.is_done(parent.id) and (
            parent.id not in self.state.finalised_sites())

    # ---- folding -------------------------------------------------------------------------------------
    def finalise(self, site_id: str, reason: str) -> bool:
        """Fold one site if no process of the run has (returns whether this call folded it)."""
        if not self.state.claim_finalisation(site_id):
            return False
        site = self.context.registry.get(site_id)
        view = self.store.view(self.run_id)
        self.store.add_observations(self.run_id, self._conclusions(site, view), site.url)  # one commit
        progress = self.state.progress(site_id)  # after concluding: a failing inspector marks it incomplete
        completed, why = progress.completion(reason)
        if progress.failures and incomplete_reason(self.state, site_id):
            why = incomplete_reason(self.state, site_id)  # the first thing lost, named (issue 11)
        self.store.update_site_stats(self.run_id, site.id, progress.pages, progress.errors,
                                     progress.blocked + view.blocked_targets(site.id))
        counts = self.store.finalize_site(self.run_id, site, completed, why)
        if counts is None:  # the store refused: folded before (logged there)
            return False
        self.folded += 1
        logger.info("site %s finalized (%s): %s", site.id, why, counts)
        self.crawler.signals.send_catch_log(
            gi_signals.site_finalized, site=site, run_id=self.run_id, store=self.store, counts=counts
        )
        # children done before this site, held back by waits_for_parent, are folded now
        for child in self.context.registry:
            if child.parent == site.id and self.state.is_done(child.id):
                self.finalise(child.id, reason)
        if not self.context.owner and len(self.state.finalised_sites()) >= len(self.state.site_ids()):
            self.end_run("finished")
        return True

    def _conclusions(self, site, view) -> list[Observation]:
        """What the inspectors conclude for the site (``site_concluding`` receivers return observations)."""
        out: list[Observation] = []
        for receiver, result in self.crawler.signals.send_catch_log(
            gi_signals.site_concluding, site=site, view=view
        ):
            if isinstance(result, Failure):
                logger.error("concluding site %s failed in %s; folding what was observed", site.id, receiver)
                continue
            out.extend(obs for obs in (result or ()) if isinstance(obs, Observation))
        return out

    def end_run(self, status: str) -> None:
        if not self.state.claim_run_end():
            return
        self.store.end_run(self.run_id, status)
        self.crawler.signals.send_catch_log(gi_signals.run_finished, run_id=self.run_id, store=self.store,
                                            status=status)

    def spider_closed(self, spider: Spider, reason: str) -> None:
        try:
            if self.context.owner:
                for site in parents_first(self.context.registry):
                    self.finalise(site.id, reason)
                if not getattr(self, "fold_failed", False):
                    self.end_run("finished" if reason == "finished" else "incomplete")
        except Exception as exc:
            if not is_disk_full(exc):
                raise
            # one line, no traceback: the run stays "running" and the next run folds it as interrupted
            logger.error("run %s could not be finalized (disk full: %s); the next run folds it as interrupted",
                         self.run_id, exc)
            if self.crawler.stats is not None:
                self.crawler.stats.set_value("govinspect/store_error", f"{DISK_FULL}: {exc}")
        finally:
            self.store.close()


def parents_first(registry: Iterable) -> list:
    """Sites ordered so that each comes after its parent (by depth in the parent chain)."""
    by_id = {s.id: s for s in registry}

    def depth(site, seen: frozenset = frozenset()) -> int:
        parent = by_id.get(site.parent) if site.parent else None
        return 0 if parent is None or parent.id in seen else 1 + depth(parent, seen | {site.id})

    return sorted(by_id.values(), key=depth)
