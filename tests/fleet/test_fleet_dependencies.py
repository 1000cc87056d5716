"""The names of scrapy-redis and Scrapy the fleet relies on beyond their documented surface.

If an upgrade removes or renames one, this fails loudly here rather than as a lost page in a
nightly run. Pinned ranges in pyproject.toml: scrapy-redis >=0.9,<0.10; Scrapy >=2.13,<3; redis >=5.
"""

from __future__ import annotations

import inspect

import scrapy
import scrapy_redis
from scrapy import Request
from scrapy.utils.request import request_from_dict
from scrapy_redis import picklecompat
from scrapy_redis.dupefilter import RFPDupeFilter
from scrapy_redis.queue import PriorityQueue
from scrapy_redis.scheduler import Scheduler


def test_scrapy_redis_queue_internals_the_ack_queue_builds_on():
    # AckPriorityQueue.push/pop encode and decode through these (underscore) helpers of the base queue
    assert callable(PriorityQueue._encode_request) and callable(PriorityQueue._decode_request)
    params = inspect.signature(PriorityQueue.__init__).parameters
    assert list(params)[1:5] == ["server", "spider", "key", "serializer"]
    # the queue is a sorted set scored by -priority (our Lua pop and reaper rely on it)
    assert "ZADD" in inspect.getsource(PriorityQueue.push) and "-request.priority" in inspect.getsource(
        PriorityQueue.push)


def test_scrapy_redis_scheduler_and_dupefilter_constructors():
    params = inspect.signature(Scheduler.__init__).parameters
    for name in ("server", "persist", "flush_on_start", "queue_key", "queue_cls", "dupefilter",
                 "idle_before_close", "serializer"):
        assert name in params, name
    for attr in ("enqueue_request", "has_pending_requests", "flush", "__len__"):
        assert hasattr(Scheduler, attr), attr
    assert list(inspect.signature(RFPDupeFilter.__init__).parameters)[1:4] == ["server", "key", "debug"]
    assert callable(RFPDupeFilter.request_seen) and callable(picklecompat.dumps)


def test_seeds_serialized_by_seed_decode_in_a_worker():
    """``govinspect seed`` writes requests as scrapy-redis's default serializer does (pickled dicts)."""
    seed = Request("http://www.a.gov.cn/", priority=100, meta={"fleet_seed": "3416000001"})
    back = request_from_dict(picklecompat.loads(picklecompat.dumps(seed.to_dict())))
    assert back.url == seed.url and back.priority == 100 and back.meta == {"fleet_seed": "3416000001"}


def test_versions_in_the_pinned_ranges():
    major, minor = (int(x) for x in scrapy_redis.__version__.split(".")[:2])
    assert (major, minor) == (0, 9), scrapy_redis.__version__
    assert (2, 13) <= scrapy.version_info[:2] and scrapy.version_info[0] == 2


def test_engine_nextcall_the_idle_fleet_worker_schedules():
    """crawler/fleet/extension.py wakes an idle engine through ``engine._slot.nextcall.schedule(delay)``."""
    from scrapy.core.engine import ExecutionEngine, _Slot
    from scrapy.utils.reactor import CallLaterOnce

    assert "nextcall" in inspect.signature(_Slot.__init__).parameters
    assert "delay" in inspect.signature(CallLaterOnce.schedule).parameters
    assert "self._slot" in inspect.getsource(ExecutionEngine.open_spider_async)


def test_scrapy_downloader_slot_internals_the_host_limit_works_around():
    """crawler/hostlimit.py: Scrapy's slot counts a request as transferring only once its download task
    runs, and starts the queue in a loop without a delay. If this changes, re-check the workaround."""
    from scrapy.core.downloader import Downloader

    source = inspect.getsource(Downloader._process_queue)
    assert "_schedule_coro(self._wait_for_download(" in source and "free_transfer_slots()" in source
    assert "slot.transferring.add(request)" in inspect.getsource(Downloader._download)
