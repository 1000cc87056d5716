"""The issue-9 baseline: a plain Scrapy spider that makes the same downloads as govinspect, inspects nothing.

Pages in each site's scope are fetched (GET) and their links followed; same-site images and
attachments are fetched by GET (govinspect downloads them to inspect); every other target is
checked once by HEAD. Same politeness settings as the govinspect runs it is compared with.

    python bench/same_downloads_spider.py REGISTRY OUT_JSON   (with the proxy variables set)
"""

from __future__ import annotations

import json
import sys
from urllib.parse import urljoin, urlsplit

from plain_spider import BASELINE_SETTINGS, homepages_of  # same folder: run as a script
from scrapy import Request, Spider
from scrapy.crawler import CrawlerProcess

ATTACHMENTS = frozenset("pdf doc docx xls xlsx wps et dps csv zip rar 7z ppt pptx ofd txt".split())
IMAGES = frozenset("jpg jpeg png gif bmp webp".split())
RESOURCES = frozenset("svg ico css js mp3 mp4 avi wmv flv swf woff woff2 ttf eot".split())
LINK_XPATH = "//a/@href|//area/@href|//iframe/@src|//frame/@src|//img/@src|//script/@src|//link/@href"


def extension(url: str) -> str:
    name = urlsplit(url).path.rsplit("/", 1)[-1]
    return name.rsplit(".", 1)[-1].lower() if "." in name else ""


class SameDownloadsSpider(Spider):
    name = "same-downloads"

    def __init__(self, homepages: list[str], **kwargs):
        super().__init__(**kwargs)
        self.homepages = homepages
        self.seen: set[str] = set()
        self.counts = {"pages": 0, "get": 0, "head": 0}

    async def start(self):
        for url in self.homepages:
            self.seen.add(url)
            yield Request(url, meta={"scope": urlsplit(url).netloc}, errback=self.failed)

    def failed(self, failure):
        return None

    def parse(self, response):
        self.counts["pages"] += 1
        if not hasattr(response, "xpath"):
            return
        scope = response.meta["scope"]
        for raw in response.xpath(LINK_XPATH).getall():
            raw = raw.strip()
            if not raw or raw.startswith(("javascript:", "mailto:", "tel:", "#", "data:")):
                continue
            url = urljoin(response.url, raw).split("#", 1)[0]
            if url in self.seen or not url.startswith("http"):
                continue
            self.seen.add(url)
            ext = extension(url)
            same_site = urlsplit(url).netloc == scope
            if same_site and ext in ATTACHMENTS | IMAGES:
                self.counts["get"] += 1
                yield Request(url, callback=self.fetched, errback=self.failed, priority=-20)
            elif same_site and ext not in RESOURCES:
                yield Request(url, meta={"scope": scope}, errback=self.failed)
            else:
                self.counts["head"] += 1
                yield Request(url, method="HEAD", callback=self.fetched, errback=self.failed, priority=-50)

    def fetched(self, response):
        return None


def main() -> None:
    registry, out = sys.argv[1], sys.argv[2]
    homepages = homepages_of(registry)
    process = CrawlerProcess({**BASELINE_SETTINGS, "HTTPERROR_ALLOW_ALL": True})
    crawler = process.create_crawler(SameDownloadsSpider)
    process.crawl(crawler, homepages=homepages)
    process.start()
    with open(out, "w", encoding="utf-8") as fh:
        json.dump(crawler.spider.counts, fh)


if __name__ == "__main__":
    main()
