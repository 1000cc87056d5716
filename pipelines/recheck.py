"""The re-check's store pipeline and finaliser: the usual ones, narrowed to a rectification list.

A re-check sees only a few pages, so it must never conclude anything about the rest of a site: only
observations of the planned findings are kept, sites are folded as *incomplete* (nothing marked
fixed by absence) once the crawl has closed (never early: the re-check's requests are not counted in
the run state), and then :func:`govinspect.rectify.recheck.conclude` decides each planned finding:
seen again → still open; not seen and its page fetched → fixed. ``site_finalized`` and
``run_finished`` go out as usual, so the search index follows.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from govinspect import signals as gi_signals
from govinspect.findings import Observation, finding_key, fingerprint
from govinspect.rectify.plan import load_plan
from govinspect.rectify.recheck import conclude
from pipelines.finalise import Finaliser
from pipelines.store import StorePipeline

if TYPE_CHECKING:
    from collections.abc import Iterable

    from scrapy import Spider
    from scrapy.crawler import Crawler

    from govinspect.findings import WorkDone

logger = logging.getLogger(__name__)


def observation_fingerprint(obs: Observation, site_url: str) -> str:
    return fingerprint(obs.site_id, obs.rule, obs.key or finding_key(obs.rule, site_url, obs.page_url,
                                                                     obs.target_url))


class BaselineView:
    """The run view, with the baseline run of the planned findings as the site's previous complete run.

    New script/iframe hosts (security.injected-content) are new against the previous complete run, which
    for a re-check is the run that found them: judged against it, an injection still in place would look
    fixed. The plan names the baseline the finding was judged against (its evidence)."""

    def __init__(self, view: Any, baseline_run: str | None):
        self._view = view
        self._baseline = baseline_run

    def __getattr__(self, name: str) -> Any:
        return getattr(self._view, name)

    def previous_complete_run(self, site_id: str) -> str | None:
        return self._baseline or self._view.previous_complete_run(site_id)


class RecheckPipeline(StorePipeline):
    """Stores only the observations of the planned findings (and the link data the conclusions need)."""

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RecheckPipeline:
        pipeline: RecheckPipeline = super().from_crawler(crawler)  # type: ignore[assignment]
        pipeline.wanted = set(load_plan(crawler.settings["RECHECK_PLAN"])["fingerprints"])
        return pipeline

    def process_item(self, item: Any, spider: Spider | None = None) -> Any:
        if isinstance(item, Observation):
            site = self.context.registry.get(item.site_id)
            if observation_fingerprint(item, site.url if site else item.page_url) not in self.wanted:
                return item  # another problem on the same page: the next complete run judges it
        return super().process_item(item, spider)


class RecheckFinaliser(Finaliser):
    """Folds each re-checked site once, when the crawl closes, as incomplete; then concludes the entries."""

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RecheckFinaliser:
        ext: RecheckFinaliser = super().from_crawler(crawler)  # type: ignore[assignment]
        ext.plan = load_plan(crawler.settings["RECHECK_PLAN"])
        ext.wanted = set(ext.plan["fingerprints"])
        return ext

    def work_done(self, markers: Iterable[WorkDone]) -> None:
        """No early folding: the whole re-check is one short crawl, folded when it closes."""

    def finalise(self, site_id: str, reason: str) -> bool:
        if site_id not in self.plan["sites"]:
            return False  # a neighbour in the run's registry (a parent, say): not re-checked, not folded
        if not self.state.claim_finalisation(site_id):
            return False
        site = self.context.registry.get(site_id)
        progress = self.state.progress(site_id)
        view = BaselineView(self.store.view(self.run_id), self.plan["sites"].get(site_id, {}).get("baseline_run"))
        for obs in self._conclusions(site, view):
            if observation_fingerprint(obs, site.url) in self.wanted:
                self.store.add_observation(self.run_id, obs, site.url)
        self.store.update_site_stats(self.run_id, site.id, progress.pages, progress.errors, progress.blocked)
        counts = self.store.finalize_site(self.run_id, site, False, "recheck") or {}
        counts["fixed"] = len(conclude(self.store, self.run_id, site.id, self.plan, reason == "finished"))
        self.folded += 1
        self.crawler.signals.send_catch_log(
            gi_signals.site_finalized, site=site, run_id=self.run_id, store=self.store, counts=counts
        )
        return True
