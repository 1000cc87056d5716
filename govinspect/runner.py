"""Running one crawl of a registry in this process and reporting how it ended."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings

from crawler.spiders.cluster import ClusterSpider
from govinspect.registry import Registry


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


def run_crawl(registry: Registry, settings: Settings, as_of: date, run_id: str | None = None,
              max_pages: int | None = None) -> RunResult:
    """Crawl and inspect every site of ``registry`` once; blocks until the run ends."""
    run_id = run_id or new_run_id()
    # SSRF defence: the registry's own hosts may live on internal addresses (govinspect/addresses.py).
    settings.set("NETWORK_SITE_HOSTS", sorted({h for site in registry for h in site.hosts}), priority="cmdline")
    process = CrawlerProcess(settings)
    crawler = process.create_crawler(ClusterSpider)
    process.crawl(crawler, registry=registry, run_id=run_id, as_of=as_of, max_pages=max_pages)
    process.start()
    stats = crawler.stats.get_stats() if crawler.stats else {}
    return RunResult(run_id, str(stats.get("finish_reason", "unknown")),
                     Path(settings.get("GOVINSPECT_STORE")), stats)
