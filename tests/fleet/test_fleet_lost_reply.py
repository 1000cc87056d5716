"""The fleet queue's push and pop, resent after a lost reply (Redis restarted between the step and
its answer), take effect once: the request is queued (not "filtered" by its own fingerprint) and
popped once (not a second request taken while the first sits in flight for nobody).

Real Redis behind a loopback relay that drops one reply (tests/support/lostreply.py).
"""

from __future__ import annotations

from scrapy import Request, Spider

from crawler.fleet.connection import redis_client
from crawler.fleet.keys import RunKeys, host_keys
from crawler.fleet.politeness import FleetPolitenessMiddleware
from crawler.fleet.queue import FILTERED, QUEUED, AckPriorityQueue
from tests.fleet.conftest import REDIS_URL
from tests.support.lostreply import LostReplyRelay


class _Spider(Spider):
    name = "lost-reply"


def test_push_and_pop_resent_after_a_lost_reply_take_effect_once(redis_db):
    keys = RunKeys("lost-reply")
    relay = LostReplyRelay(REDIS_URL)
    try:
        q = AckPriorityQueue(redis_client(relay.url, 10.0), _Spider(), keys.queue)
        q.bind(keys.inflight("w1"), keys.redo, memo_seconds=60)
        assert q.push(Request("http://s.gov.cn/warm"), keys.dupefilter, "fp-warm") == QUEUED
        relay.lose_next_reply()
        assert q.push(Request("http://s.gov.cn/a", priority=5), keys.dupefilter, "fp-a") == QUEUED
        assert relay.dropped == 1
        assert redis_db.zcard(keys.queue) == 2
        assert q.push(Request("http://s.gov.cn/a"), keys.dupefilter, "fp-a") == FILTERED  # decoy: a real duplicate
        relay.lose_next_reply()
        first = q.pop()
        assert first is not None and first.url == "http://s.gov.cn/a"
        assert relay.dropped == 2
        assert redis_db.zcard(keys.queue) == 1  # warm still queued: the resend did not pop it
        assert redis_db.hlen(keys.inflight("w1")) == 1
    finally:
        relay.close()


def test_a_lease_whose_reply_was_lost_is_still_the_askers(redis_db):
    """The politeness middleware asks with one token until it gets the lease: the resend of the step
    that took it finds the token's own lease, not a host at its limit (it would wait for it to expire)."""
    relay = LostReplyRelay(REDIS_URL)
    try:
        mw = FleetPolitenessMiddleware(redis_client(relay.url, 10.0), 1, 0.0, 0.0, 60.0, 0.01)
        leases, nxt = host_keys("s.gov.cn")
        assert mw._acquire(keys=[leases, nxt], args=["warm", 1, 0, 60000, 10]) == 0
        redis_db.delete(leases)
        relay.lose_next_reply()
        assert mw._acquire(keys=[leases, nxt], args=["mine", 1, 0, 60000, 10]) == 0
        assert relay.dropped == 1 and redis_db.zrange(leases, 0, -1) == [b"mine"]
        assert mw._acquire(keys=[leases, nxt], args=["other", 1, 0, 60000, 10]) > 0  # decoy: the limit holds
    finally:
        relay.close()
