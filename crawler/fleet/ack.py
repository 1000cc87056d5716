"""When a request is really done: after every link and item its callback produced was handled.

Scrapy hands a callback's output to ``CONCURRENT_ITEMS`` coroutines through a small queue, so when
the callback's generator ends, its last requests may not be queued yet. Acknowledging then would
let another worker see "nothing queued, nothing in flight" too early (and a kill at that moment
would lose those links). So the spider yields a :class:`FleetAck` as its *last* output: by the time
this pipeline receives it, every earlier output has been taken off that queue (requests into the
scheduler's push buffer, items into the store pipeline's batch); the scheduler then pushes the
requests and has the store write its batch (``store_flush_wanted``) before it acknowledges.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from scrapy.exceptions import DropItem

from crawler.fleet import signals as fleet_signals


@dataclass
class FleetAck:
    meta: dict


class AckPipeline:
    def __init__(self, crawler):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler) -> AckPipeline:
        return cls(crawler)

    def process_item(self, item: Any, spider: Any = None) -> Any:
        if not isinstance(item, FleetAck):
            return item
        self.crawler.signals.send_catch_log(fleet_signals.request_done, meta=item.meta)
        raise DropItem("fleet acknowledgement (not an item)", log_level="DEBUG")
