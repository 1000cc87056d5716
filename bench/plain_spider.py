"""The baseline for the benchmark: a plain Scrapy spider that only follows links within each site.

Run as ``python bench/plain_spider.py REGISTRY OUT_JSON`` with the proxy variables set; writes the
pages it parsed and its stats as JSON.
"""

from __future__ import annotations

import csv
import json
import sys
from urllib.parse import urlsplit

from scrapy import Request, Spider
from scrapy.crawler import CrawlerProcess
from scrapy.linkextractors import LinkExtractor


class PlainSpider(Spider):
    name = "plain"

    def __init__(self, homepages: list[str], **kwargs):
        super().__init__(**kwargs)
        self.homepages = homepages
        self.extractor = LinkExtractor()
        self.pages = 0

    async def start(self):
        for url in self.homepages:
            yield Request(url, meta={"scope": urlsplit(url).netloc})

    def parse(self, response):
        self.pages += 1
        if not hasattr(response, "text"):
            return
        scope = response.meta["scope"]
        for link in self.extractor.extract_links(response):
            if urlsplit(link.url).netloc == scope:
                yield Request(link.url, meta={"scope": scope})


# The baselines' politeness and limits: the same as the govinspect runs they are compared with.
BASELINE_SETTINGS = {
    "REMOTE_CONTROL_ENABLED": False, "TELNETCONSOLE_ENABLED": False, "LOG_LEVEL": "WARNING",
    "ROBOTSTXT_OBEY": False, "DOWNLOAD_DELAY": 0, "AUTOTHROTTLE_ENABLED": False,
    "CONCURRENT_REQUESTS": 32, "CONCURRENT_REQUESTS_PER_DOMAIN": 2, "DOWNLOAD_TIMEOUT": 5,
    "RETRY_TIMES": 0, "COOKIES_ENABLED": False,
}


def homepages_of(registry: str) -> list[str]:
    with open(registry, encoding="utf-8") as fh:
        return [row["url"] for row in csv.DictReader(fh)]


def main() -> None:
    registry, out = sys.argv[1], sys.argv[2]
    homepages = homepages_of(registry)
    process = CrawlerProcess(BASELINE_SETTINGS)
    crawler = process.create_crawler(PlainSpider)
    process.crawl(crawler, homepages=homepages)
    process.start()
    with open(out, "w", encoding="utf-8") as fh:
        json.dump({"pages": crawler.spider.pages}, fh)


if __name__ == "__main__":
    main()
