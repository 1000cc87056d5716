"""The crawl's garbage-collector pace (``GC_THRESHOLDS``, crawler/extensions.py): set for the crawl, restored after."""

from __future__ import annotations

import gc

import pytest
from scrapy.exceptions import NotConfigured
from scrapy.utils.test import get_crawler

from crawler.extensions import GarbageCollection
from settings import EXTENSIONS, GC_THRESHOLDS


def test_the_crawl_collects_young_objects_less_often_and_restores_pythons_pace():
    assert EXTENSIONS["crawler.extensions.GarbageCollection"] is not None  # on by default
    saved = gc.get_threshold()
    gc.set_threshold(700, 10, 10)  # Python's pace, whatever an earlier test in this process left
    before = gc.get_threshold()
    try:
        ext = GarbageCollection.from_crawler(get_crawler(settings_dict={"GC_THRESHOLDS": GC_THRESHOLDS}))
        assert gc.get_threshold() == before  # a crawler built, not yet crawling: nothing changes
        ext.spider_opened()
        assert gc.get_threshold() == tuple(GC_THRESHOLDS) != before
        ext.spider_closed()
        assert gc.get_threshold() == before
    finally:
        gc.set_threshold(*saved)


def test_empty_thresholds_keep_pythons_own():
    before = gc.get_threshold()
    with pytest.raises(NotConfigured):
        GarbageCollection.from_crawler(get_crawler(settings_dict={"GC_THRESHOLDS": []}))
    assert gc.get_threshold() == before
