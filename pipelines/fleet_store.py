"""The store pipeline of a fleet worker: writes as it goes; only the run's finaliser folds.

Every worker writes observations, link references and checks as they come (``STORE_BATCH_SIZE`` is
1 in the fleet, so an acknowledged page's rows are already written). When the run is done -- nothing
queued, nothing in flight anywhere -- the first worker to close claims the run (``SET NX``), waits
until every other worker has closed or been reaped, then concludes and folds each site once, with
the fleet's per-site progress (from Redis) deciding completion. Other workers fold nothing; a worker
that stops early folds nothing and leaves the run resumable.
"""

from __future__ import annotations

import logging
from typing import Any

from crawler import signals as gi_signals
from crawler.fleet.connection import client_from_settings
from crawler.fleet.keys import RunKeys
from crawler.fleet.ledger import read_totals
from crawler.fleet.membership import Membership
from crawler.fleet.runs import release_lock, set_status
from pipelines.store import StorePipeline

logger = logging.getLogger(__name__)


class FleetStorePipeline(StorePipeline):
    @classmethod
    def from_crawler(cls, crawler) -> FleetStorePipeline:
        pipeline: FleetStorePipeline = super().from_crawler(crawler)
        s = crawler.settings
        pipeline.server = client_from_settings(s)
        pipeline.keys = RunKeys(s["FLEET_RUN_ID"])
        pipeline.worker = s["FLEET_WORKER_ID"]
        pipeline.worker_timeout = s.getfloat("FLEET_WORKER_TIMEOUT")
        pipeline.max_pages = s.getint("MAX_PAGES_PER_SITE")
        return pipeline

    def open_spider(self, spider: Any = None) -> None:
        # No recovery of "interrupted" runs here: in a fleet, a run left running in the store may be
        # the very run other workers are working on.
        spider = spider or self.crawler.spider
        self.run_id = spider.run_id
        if self.run_id in {r["run_id"] for r in self.store.runs()}:
            return
        try:
            self.store.start_run(self.run_id, spider.as_of.isoformat(), {"sites": len(spider.registry),
                                                                         "fleet": True}, spider.registry)
        except Exception:  # another worker sharing this store recorded the run a moment ago
            if self.run_id not in {r["run_id"] for r in self.store.runs()}:
                raise

    def spider_closed(self, spider: Any, reason: str) -> None:
        if self.run_id is None:
            return
        self.flush()
        membership = Membership(self.server, self.keys, self.worker, self.worker_timeout)
        if reason != "finished" or not membership.is_done():
            logger.info("worker closed (%s) before the run was done: nothing folded, the run goes on", reason)
            self.store.close()
            return
        # The claim expires, so a run whose finaliser died while folding can be resumed and folded.
        claim_seconds = int(self.worker_timeout * 10 + 60)
        if not self.server.set(self.keys.finaliser, self.worker, nx=True, ex=claim_seconds):
            self.store.close()
            return
        logger.info("run %s done: this worker folds it once the others have closed", self.run_id)
        if not membership.wait_alone(limit=self.worker_timeout * 3 + 30):
            logger.warning("other workers still registered; folding anyway")
        self._fold(spider)

    def _fold(self, spider: Any) -> None:
        view = self.store.view(self.run_id)
        max_pages = spider._max_pages or self.max_pages
        for site in spider.registry:
            progress = read_totals(self.server, self.keys, site.id).as_progress(site.id, max_pages)
            try:
                for obs in spider.inspectors.site_finished(site, view):
                    self.store.add_observation(self.run_id, obs, site.url)
            except Exception:
                logger.exception("concluding site %s failed; folding what was observed", site.id)
            completed, why = progress.completion("finished")
            self.store.update_site_stats(self.run_id, site.id, progress.pages, progress.errors,
                                         progress.blocked + view.blocked_targets(site.id))
            counts = self.store.finalize_site(self.run_id, site, completed, why)
            logger.info("site %s finalized (%s): %s", site.id, why, counts)
            self.crawler.signals.send_catch_log(
                gi_signals.site_finalized, site=site, run_id=self.run_id, store=self.store, counts=counts
            )
        self.store.end_run(self.run_id, "finished")
        set_status(self.server, self.run_id, "finished")
        self.server.persist(self.keys.finaliser)
        release_lock(self.server, self.run_id)
        self.crawler.signals.send_catch_log(
            gi_signals.run_finished, run_id=self.run_id, store=self.store, status="finished"
        )
        self.store.close()
