"""The re-check pipeline: the store pipeline, narrowed to a rectification list's entries.

A re-check sees only a few pages, so it must never conclude anything about the rest of a site: only
observations of the planned findings are kept, sites are folded as *incomplete* (nothing marked
fixed by absence), and then :func:`govinspect.rectify.recheck.conclude` decides each planned finding:
seen again → still open; not seen and its page fetched → fixed. Then the usual signals go out so the
search index follows.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from crawler import signals as gi_signals
from crawler.spiders.recheck import load_plan
from govinspect.findings import Observation, finding_key, fingerprint
from govinspect.rectify.recheck import conclude
from pipelines.store import StorePipeline

if TYPE_CHECKING:
    from scrapy import Spider
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)


class RecheckPipeline(StorePipeline):
    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RecheckPipeline:
        pipeline: RecheckPipeline = super().from_crawler(crawler)  # type: ignore[assignment]
        pipeline.plan = load_plan(crawler.settings["RECHECK_PLAN"])
        pipeline.wanted = set(pipeline.plan["fingerprints"])
        pipeline.seen: set[str] = set()
        return pipeline

    def _fingerprint(self, obs: Observation, site_url: str) -> str:
        return fingerprint(obs.site_id, obs.rule, obs.key or finding_key(obs.rule, site_url, obs.page_url,
                                                                         obs.target_url))

    def process_item(self, item: Any, spider: Spider | None = None) -> Any:
        if isinstance(item, Observation):
            site = (spider or self.crawler.spider).registry.get(item.site_id)
            fp = self._fingerprint(item, site.url if site else item.page_url)
            if fp not in self.wanted:
                return item  # another problem on the same page: the next full run will judge it
        return super().process_item(item, spider)

    def spider_closed(self, spider: Spider, reason: str) -> None:
        if self.run_id is None:
            return
        self.flush()
        view = self.store.view(self.run_id)
        for site in spider.registry:
            try:
                for obs in spider.inspectors.site_finished(site, view):
                    if self._fingerprint(obs, site.url) in self.wanted:
                        self.store.add_observation(self.run_id, obs, site.url)
            except Exception:
                logger.exception("concluding site %s failed in the re-check", site.id)
            progress = spider.progress[site.id]
            self.store.update_site_stats(self.run_id, site.id, progress.pages, progress.errors, progress.blocked)
            counts = self.store.finalize_site(self.run_id, site, completed=False, reason="recheck")
            counts["fixed"] = len(conclude(self.store, self.run_id, site.id, self.plan, reason == "finished"))
            self.crawler.signals.send_catch_log(
                gi_signals.site_finalized, site=site, run_id=self.run_id, store=self.store, counts=counts
            )
        status = "finished" if reason == "finished" else "incomplete"
        self.store.end_run(self.run_id, status)
        self.crawler.signals.send_catch_log(gi_signals.run_finished, run_id=self.run_id, store=self.store,
                                            status=status)
        self.store.close()
