"""Scrapy's per-response and per-item DEBUG lines are not built below LOG_LEVEL (crawler/logformatter.py)."""

from __future__ import annotations

import logging

from scrapy import Request, Spider
from scrapy.exceptions import DropItem
from scrapy.http import HtmlResponse
from scrapy.utils.misc import build_from_crawler, load_object
from scrapy.utils.test import get_crawler

from govinspect.findings import LinkCheck
from settings import LOG_FORMATTER


def _formatter(level: str):
    crawler = get_crawler(Spider, {"LOG_LEVEL": level})
    return build_from_crawler(load_object(LOG_FORMATTER), crawler), Spider("s")


def test_debug_lines_are_not_built_at_info_but_warnings_are():
    formatter, spider = _formatter("INFO")
    request = Request("http://a.gov.cn/")
    response = HtmlResponse("http://a.gov.cn/", body=b"<html></html>", request=request)
    item = LinkCheck("http://a.gov.cn/", True, 200)
    assert formatter.crawled(request, response, spider) is None
    assert formatter.scraped(item, response, spider) is None
    assert formatter.dropped(item, DropItem("marker", log_level="DEBUG"), response, spider) is None
    shown = formatter.dropped(item, DropItem("bad item", log_level="WARNING"), response, spider)
    assert shown is not None and shown["level"] == logging.WARNING


def test_every_line_is_built_at_debug():
    formatter, spider = _formatter("DEBUG")
    request = Request("http://a.gov.cn/")
    response = HtmlResponse("http://a.gov.cn/", body=b"<html></html>", request=request)
    item = LinkCheck("http://a.gov.cn/", True, 200)
    assert formatter.crawled(request, response, spider)["level"] == logging.DEBUG
    assert formatter.scraped(item, response, spider)["args"]["item"] is item
    assert formatter.dropped(item, DropItem("marker", log_level="DEBUG"), response, spider) is not None
