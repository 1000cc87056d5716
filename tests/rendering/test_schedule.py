"""Renders leave the scheduler before host requests (``RendersFirstQueue``), on Scrapy's real queue.

Scrapy's ``DownloaderAwarePriorityQueue`` pops the slot with the fewest active downloads; with renders
already in the browser, the render slot lost to every idle host. The decoy runs the stock queue on
the same state and shows that order, so the test fails if the override stops mattering.
"""

from __future__ import annotations

from inspect import signature
from types import SimpleNamespace

from scrapy import Request, Spider
from scrapy.core.downloader import Downloader, Slot
from scrapy.pqueues import DownloaderAwarePriorityQueue
from scrapy.squeues import FifoMemoryQueue
from scrapy.utils.misc import load_object
from scrapy.utils.test import get_crawler

from crawler.rendering.policy import RENDER_SLOT, RENDER_SLOT_META
from crawler.rendering.schedule import RendersFirstQueue
from tests.rendering.test_policy import project_settings


def _queue(cls: type) -> DownloaderAwarePriorityQueue:
    crawler = get_crawler(Spider)
    downloader = Downloader(crawler)  # Scrapy's own: the queue reads its slots (no engine needed)
    crawler.engine = SimpleNamespace(downloader=downloader)
    # two renders already in the browser; the hosts idle
    no_jitter = {"jitter": 0} if "jitter" in signature(Slot).parameters else {"randomize_delay": False}  # 2.19+
    downloader.slots[RENDER_SLOT] = Slot(64, 0, **no_jitter)
    downloader.slots[RENDER_SLOT].active.update({Request("http://a.gov.cn/r1"), Request("http://a.gov.cn/r2")})
    queue = cls.from_crawler(crawler, FifoMemoryQueue, "")
    for n in range(3):
        queue.push(Request(f"http://host{n}.gov.cn/page"))
    queue.push(Request("http://a.gov.cn/render", meta={RENDER_SLOT_META: RENDER_SLOT}))
    return queue


def test_the_projects_scheduler_uses_the_renders_first_queue():
    assert load_object(project_settings({})["SCHEDULER_PRIORITY_QUEUE"]) is RendersFirstQueue


def test_a_queued_render_is_popped_before_idle_hosts():
    queue = _queue(RendersFirstQueue)
    assert queue.peek().url == "http://a.gov.cn/render"
    assert queue.pop().url == "http://a.gov.cn/render"
    assert RENDER_SLOT not in queue  # its empty queue is dropped, as Scrapy's pop does
    rest = [queue.pop().url for _ in range(3)]
    assert sorted(rest) == [f"http://host{n}.gov.cn/page" for n in range(3)] and queue.pop() is None


def test_decoy_scrapys_queue_serves_idle_hosts_first():
    queue = _queue(DownloaderAwarePriorityQueue)
    order = [queue.pop().url for _ in range(4)]
    assert order[-1] == "http://a.gov.cn/render"
