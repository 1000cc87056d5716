"""The fleet's parts against a real Redis: acknowledged queue, reaping, run completion, host leases.

These run in-process (no crawl); the end-to-end behaviour is in ``test_fleet_runs.py``.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque

import pytest
from scrapy import Request, Spider
from scrapy_redis.dupefilter import RFPDupeFilter
from scrapy_redis.queue import PriorityQueue

from crawler.fleet.keys import LOCK, RUNS, RunKeys, host_keys
from crawler.fleet.membership import Membership
from crawler.fleet.politeness import FleetPolitenessMiddleware
from crawler.fleet.queue import ACK_META, LEASE_META, AckPriorityQueue, LeasePolicy
from crawler.fleet.runs import LockHeld, expire_run, listed_runs, lock_info, seed_run
from govinspect.registry import Registry, Site


class _Spider(Spider):
    name = "parts"


@pytest.fixture
def keys() -> RunKeys:
    return RunKeys("parts")


def _queue(server, keys: RunKeys, worker: str) -> AckPriorityQueue:
    q = AckPriorityQueue(server, _Spider(), keys.queue)
    q.bind(keys.inflight(worker))
    return q


def _req(path: str, priority: int = 0) -> Request:
    return Request(f"http://www.example.gov.cn/{path}", priority=priority)


def test_stock_scrapy_redis_pop_forgets_the_request_ours_keeps_it_in_flight(redis_db, keys):
    stock = PriorityQueue(redis_db, _Spider(), keys.queue + ":stock")
    stock.push(_req("a"))
    assert stock.pop() is not None
    assert redis_db.keys("*") == []  # a worker killed now has lost the page for good

    q = _queue(redis_db, keys, "w1")
    q.push(_req("low", 0))
    q.push(_req("high", 10))
    request = q.pop()
    assert request.url.endswith("/high") and request.meta[ACK_META]
    assert len(q) == 1 and redis_db.hlen(keys.inflight("w1")) == 1
    assert q.ack(request) is True
    assert redis_db.hlen(keys.inflight("w1")) == 0


def test_a_request_enqueued_again_replaces_its_in_flight_entry(redis_db, keys):
    """Retries and redirects copy the meta: the copy goes to the queue, the original is done."""
    q = _queue(redis_db, keys, "w1")
    q.push(_req("page"))
    popped = q.pop()
    retry = popped.replace(dont_filter=True)
    q.push(retry)
    assert redis_db.hlen(keys.inflight("w1")) == 0 and len(q) == 1


def test_a_silent_worker_is_reaped_and_its_requests_requeued_at_their_priority(redis_db, keys):
    dead = Membership(redis_db, keys, "dead", timeout=0.3)
    alive = Membership(redis_db, keys, "alive", timeout=0.3)
    dead.heartbeat()
    alive.heartbeat()
    q = _queue(redis_db, keys, "dead")
    q.push(_req("p", 7))
    q.pop()
    assert alive.reap() == 0  # first sight of the counter
    assert not alive.is_done()
    start, reaped = time.monotonic(), 0
    while not reaped and time.monotonic() - start < 2:  # watched continuously (each heartbeat)
        time.sleep(0.05)
        reaped = alive.reap()
    assert reaped == 1 and time.monotonic() - start >= 0.3
    assert redis_db.zrange(keys.queue, 0, -1, withscores=True)[0][1] == pytest.approx(-7, abs=0.01)  # + its turn
    assert redis_db.hlen(keys.inflight("dead")) == 0 and not redis_db.hexists(keys.workers, "dead")
    assert int(redis_db.get(keys.requeued)) == 1


def test_a_worker_whose_heartbeat_moves_is_never_reaped(redis_db, keys):
    """After a Redis restart every heartbeat is old by the same amount; moving counters save them."""
    busy = Membership(redis_db, keys, "busy", timeout=0.3)
    watcher = Membership(redis_db, keys, "watcher", timeout=0.3)
    q = _queue(redis_db, keys, "busy")
    q.push(_req("p"))
    q.pop()
    for _ in range(8):
        busy.heartbeat()
        watcher.reap()
        time.sleep(0.1)
    assert redis_db.hlen(keys.inflight("busy")) == 1
    # a reaper that judged an old counter does nothing once the counter moved
    stale = redis_db.hget(keys.workers, "busy")
    busy.heartbeat()
    assert watcher.requeue("busy", stale) == -1


def test_the_run_is_done_only_when_nothing_is_queued_or_in_flight_anywhere(redis_db, keys):
    a = Membership(redis_db, keys, "a", timeout=5)
    b = Membership(redis_db, keys, "b", timeout=5)
    a.heartbeat()
    b.heartbeat()
    q = _queue(redis_db, keys, "b")
    q.push(_req("p"))
    assert not a.is_done()
    request = q.pop()
    assert not a.is_done()  # the queue is empty, but b still holds a page whose links may follow
    q.ack(request)
    assert a.is_done()


def test_seeds_record_the_homepage_fingerprint_so_a_link_back_home_is_filtered(redis_db):
    """scrapy-redis builds start-URL requests with ``dont_filter=True``: a link back to the homepage
    would fetch it again. Our seeds go through the duplicate filter."""
    from scrapy_redis.spiders import RedisSpider

    stock = RedisSpider(name="x")
    stock.redis_encoding = "utf-8"
    assert stock.make_request_from_data(b'{"url": "http://h.gov.cn/"}').dont_filter is True
    registry = Registry([Site("s1", "某市政府", "某市", "portal", "http://www.a.gov.cn/;jsessionid=1")])
    seed_run(redis_db, registry, "seeded", "2026-11-20", None, lock_ttl=60)
    filt = RFPDupeFilter(redis_db, RunKeys("seeded").dupefilter)
    assert filt.request_seen(Request("http://www.a.gov.cn/")) is True
    assert filt.request_seen(Request("http://www.a.gov.cn/other.html")) is False
    assert lock_info(redis_db)["run_id"] == "seeded"
    with pytest.raises(LockHeld, match="seeded"):
        seed_run(redis_db, registry, "second", "2026-11-20", None, lock_ttl=60)


def test_the_worker_spider_start_yields_nothing_the_cluster_spider_would_seed_again():
    """Scrapy >= 2.13 calls ``start()``; scrapy-redis 0.9's ``RedisSpider`` only overrides
    ``start_requests``, so a worker inheriting the cluster spider's ``start()`` would queue every
    homepage again at each worker start."""
    from scrapy_redis.spiders import RedisMixin

    from crawler.fleet.spider import FleetClusterSpider
    from crawler.spiders.cluster import ClusterSpider

    assert "start" not in RedisMixin.__dict__
    registry = Registry([Site("s1", "某市政府", "某市", "portal", "http://www.a.gov.cn/")])

    async def collect(spider):
        return [r async for r in spider.start()]

    fleet = FleetClusterSpider.__new__(FleetClusterSpider)
    assert asyncio.run(collect(fleet)) == []
    assert "start" in ClusterSpider.__dict__ and ClusterSpider.start is not FleetClusterSpider.start
    del registry


def _middleware(server, concurrency=2, delay=0.0, lease=60.0):
    return FleetPolitenessMiddleware(server, concurrency, delay, 0.0, lease, 0.01)


def test_host_leases_hold_the_limit_across_workers(redis_db):
    workers = [_middleware(redis_db), _middleware(redis_db), _middleware(redis_db)]  # three "processes"
    active = peak = 0

    async def fetch(mw, i):
        nonlocal active, peak
        request = Request(f"http://www.limit.gov.cn/{i}")
        await mw.process_request(request)
        active += 1
        peak = max(peak, active)
        await asyncio.sleep(0.05)
        active -= 1
        mw.process_response(request, None)

    async def main():
        await asyncio.gather(*(fetch(workers[i % 3], i) for i in range(12)))

    asyncio.run(main())
    assert peak == 2
    assert redis_db.zcard(host_keys("www.limit.gov.cn")[0]) == 0


def test_a_dead_workers_lease_expires_and_the_delay_spaces_starts(redis_db):
    dead = _middleware(redis_db, concurrency=1, lease=0.4)
    asyncio.run(dead.process_request(Request("http://www.lease.gov.cn/a")))  # never released: killed
    other = _middleware(redis_db, concurrency=1, lease=0.4)
    t = time.monotonic()
    asyncio.run(other.process_request(Request("http://www.lease.gov.cn/b")))
    assert time.monotonic() - t >= 0.3

    spaced = _middleware(redis_db, concurrency=5, delay=0.2)
    starts = []

    async def go():
        for i in range(3):
            request = Request(f"http://www.delay.gov.cn/{i}")
            await spaced.process_request(request)
            starts.append(time.monotonic())
            spaced.process_response(request, None)

    asyncio.run(go())
    assert starts[2] - starts[0] >= 0.38


def _leasing_queue(server, keys: RunKeys, worker: str, concurrency: int = 1) -> AckPriorityQueue:
    q = AckPriorityQueue(server, _Spider(), keys.queue)
    q.bind(keys.inflight(worker), keys.redo, LeasePolicy(concurrency, 0.0, 0.0, 60.0, window=8))
    return q


def test_pop_takes_a_host_lease_and_skips_hosts_at_their_limit(redis_db, keys):
    """No head-of-line blocking: a host at its limit does not hold up requests for other hosts."""
    q = _leasing_queue(redis_db, keys, "w1")
    q.push(Request("http://busy.gov.cn/1", priority=9))
    q.push(Request("http://busy.gov.cn/2", priority=8))
    q.push(Request("http://free.gov.cn/1", priority=1))
    first = q.pop()
    assert first.url == "http://busy.gov.cn/1" and first.meta[LEASE_META][2] == "busy.gov.cn"
    assert redis_db.zcard(host_keys("busy.gov.cn")[0]) == 1
    second = q.pop()  # busy.gov.cn is at its limit (1): the lower-priority request of a free host
    assert second.url == "http://free.gov.cn/1" and second.meta[LEASE_META][2] == "free.gov.cn"
    # decoy: every host in the window at its limit -> the head, without a lease (the middleware waits)
    third = q.pop()
    assert third.url == "http://busy.gov.cn/2" and LEASE_META not in third.meta
    assert redis_db.zcard(host_keys("busy.gov.cn")[0]) == 1
    # the lease the middleware returns frees the host for the next pop
    mw = _middleware(redis_db, concurrency=1)
    mw.process_response(first, None)  # (no event loop here: returned at once)
    assert redis_db.zcard(host_keys("busy.gov.cn")[0]) == 0
    assert asyncio.run(mw.process_request(third)) is None and third.meta[LEASE_META][2] == "busy.gov.cn"


def test_one_pop_takes_several_requests_each_in_flight_with_its_own_lease(redis_db, keys):
    """A batch is what pops in a row would take: priority order, a host never past its limit (two of
    busy.gov.cn's three, limit 2), each request in flight and holding a lease under its own token."""
    q = _leasing_queue(redis_db, keys, "w1", concurrency=2)
    for n in range(3):
        q.push(Request(f"http://busy.gov.cn/{n}", priority=9 - n))
    q.push(Request("http://free.gov.cn/1", priority=1))
    q.push(Request("http://late.gov.cn/1", priority=0))
    batch = q.pop_many(4, leased_only=True)
    assert [r.url for r in batch] == ["http://busy.gov.cn/0", "http://busy.gov.cn/1", "http://free.gov.cn/1",
                                      "http://late.gov.cn/1"]
    tokens = [r.meta[LEASE_META][1] for r in batch]
    assert len(set(tokens)) == 4
    assert sorted(redis_db.zrange(host_keys("busy.gov.cn")[0], 0, -1)) == sorted(t.encode() for t in tokens[:2])
    in_flight = redis_db.hgetall(keys.inflight("w1"))
    assert sorted(f.decode() for f in in_flight) == sorted(r.meta[ACK_META] for r in batch)
    assert [r.url for r in q.pop_many(4, leased_only=True)] == [] and q.busy  # busy.gov.cn/2: host at its limit
    # decoy: a batch of one is a plain pop; a short window gives what there is
    mw = _middleware(redis_db, concurrency=2)
    mw.process_response(batch[0], None)
    assert [r.url for r in q.pop_many(1)] == ["http://busy.gov.cn/2"]
    assert q.pop_many(4) == [] and not q.busy  # nothing queued


def test_a_worker_hands_a_batch_to_the_engine_in_one_round_trip(redis_db, keys):
    """The engine asks for requests in a row: the first ask pops a batch, the next asks are served
    from the worker's hand, and the ask after a short batch costs no round trip (decoy: in the next
    turn the worker pops again)."""
    from twisted.internet import reactor

    from crawler.fleet.scheduler import AckScheduler

    q = _leasing_queue(redis_db, keys, "w1", concurrency=2)
    for n in range(3):
        q.push(Request(f"http://h{n}.gov.cn/"))
    scheduler = AckScheduler.__new__(AckScheduler)
    scheduler.queue, scheduler.pop_batch, scheduler.max_in_flight, scheduler.held = q, 4, 32, 0
    scheduler._hand, scheduler._row_spent, scheduler._to_push, scheduler._after_push = deque(), False, [], []
    scheduler._flush_call, scheduler.stats, scheduler.crawler = None, None, None
    calls = []
    pop_many = q.pop_many
    q.pop_many = lambda *a, **kw: calls.append(a) or pop_many(*a, **kw)
    got = [scheduler.next_request() for _ in range(4)]
    assert [r.url for r in got[:3]] == [f"http://h{n}.gov.cn/" for n in range(3)] and got[3] is None
    assert len(calls) == 1 and scheduler.held == 3
    q.push(Request("http://h9.gov.cn/"))
    assert scheduler.next_request() is None and len(calls) == 1  # same turn: the row is spent
    (turn,) = [call for call in reactor.getDelayedCalls() if call.func == scheduler._new_row]
    turn.cancel()
    scheduler._new_row()  # what the reactor's next turn runs
    assert scheduler.next_request().url == "http://h9.gov.cn/" and len(calls) == 2


def test_requests_left_in_hand_at_close_stay_in_flight_and_give_their_leases_back(redis_db, keys):
    """The engine stopped asking with a batch half handed out: those requests stay in this worker's
    in-flight hash (put back when it leaves the run), their hosts are free for the others at once."""
    from concurrent.futures import ThreadPoolExecutor

    from crawler.fleet.scheduler import AckScheduler

    q = _leasing_queue(redis_db, keys, "w1", concurrency=1)
    for n in range(2):
        q.push(Request(f"http://k{n}.gov.cn/"))
    scheduler = AckScheduler.__new__(AckScheduler)
    scheduler.queue, scheduler.server, scheduler.held = q, redis_db, 2
    scheduler._hand = deque(q.pop_many(2, leased_only=True))
    scheduler._to_push, scheduler._after_push, scheduler._flush_call = [], [], None
    scheduler._acks = ThreadPoolExecutor(max_workers=1)
    assert redis_db.zcard(host_keys("k1.gov.cn")[0]) == 1
    scheduler.close("finished")
    assert redis_db.zcard(host_keys("k0.gov.cn")[0]) == 0 and redis_db.zcard(host_keys("k1.gov.cn")[0]) == 0
    assert redis_db.hlen(keys.inflight("w1")) == 2 and not scheduler._hand


def test_hosts_take_turns_within_a_priority_and_priorities_still_come_first(redis_db, keys):
    """Equal scores would pop by member, i.e. by host name: a window full of one host at its limit
    (a fleet held at ~1 request in flight). The n-th request of each host sorts together instead."""
    q = _leasing_queue(redis_db, keys, "w1", concurrency=1)
    for n in range(3):
        q.push(Request(f"http://a.gov.cn/{n}"))
    for n in range(3):
        q.push(Request(f"http://b.gov.cn/{n}"))
    q.push(Request("http://z.gov.cn/urgent", priority=5))
    popped = [q.pop(leased_only=True) for _ in range(3)]
    assert [r.url for r in popped] == ["http://z.gov.cn/urgent", "http://a.gov.cn/0", "http://b.gov.cn/0"]
    assert all(LEASE_META in r.meta for r in popped)
    # decoy: pushed in one host's order, a and b still alternate when nothing holds a lease
    order = [q.pop().url for _ in range(4)]
    assert order == ["http://a.gov.cn/1", "http://b.gov.cn/1", "http://a.gov.cn/2", "http://b.gov.cn/2"]


def test_a_popped_lease_is_not_taken_twice_by_the_middleware(redis_db, keys):
    q = _leasing_queue(redis_db, keys, "w1", concurrency=2)
    q.push(Request("http://one.gov.cn/a"))
    request = q.pop()
    token = request.meta[LEASE_META][1]
    asyncio.run(_middleware(redis_db).process_request(request))
    assert redis_db.zrange(host_keys("one.gov.cn")[0], 0, -1) == [token.encode()]


def test_members_without_a_host_still_pop(redis_db, keys):
    """Runs queued before members carried their host (a bare pickle) are still worked."""
    from scrapy_redis import picklecompat

    redis_db.zadd(keys.queue, {picklecompat.dumps(Request("http://old.gov.cn/x").to_dict()): 0})
    request = _leasing_queue(redis_db, keys, "w1").pop()
    assert request.url == "http://old.gov.cn/x" and LEASE_META not in request.meta


def test_leases_on_their_way_back_are_returned_at_once_when_the_queue_wants_them(redis_db, keys):
    """A pop that finds every host busy asks for the leases this worker finished with: returned now,
    the next pop takes the host (rather than the engine waiting for its next turn)."""
    q = _leasing_queue(redis_db, keys, "w1")
    mw = _middleware(redis_db, concurrency=1)
    q.push(Request("http://solo.gov.cn/1"))
    q.push(Request("http://solo.gov.cn/2"))

    async def main():
        first = q.pop(leased_only=True)
        assert first.meta[LEASE_META][2] == "solo.gov.cn"
        mw._returning = True  # a return round trip "on its way": the lease waits in the list
        mw.process_response(first, None)
        assert q.pop(leased_only=True) is None and q.busy  # the host is still at its limit
        assert mw.leases_wanted() == 1
        second = q.pop(leased_only=True)
        assert second is not None and second.url == "http://solo.gov.cn/2"

    asyncio.run(main())
def test_a_unit_of_work_is_queued_once_a_retry_of_it_again(redis_db, keys):
    """A page redone after its worker died yields its follow-ups again: those its first run queued
    are not queued twice (and not reported dropped either); a retry (re-enqueued with the in-flight
    token of its original) is always queued."""
    from crawler.fleet.queue import ALREADY, FILTERED, QUEUED, UNIT_META

    q = _queue(redis_db, keys, "w1")
    q.bind(keys.inflight("w1"), keys.redo, units_key=keys.units)
    script = Request("http://www.example.gov.cn/js/foot.js", dont_filter=True, meta={UNIT_META: "C s1 home js"})
    assert q.push(script) == QUEUED
    again = Request("http://www.example.gov.cn/js/foot.js", dont_filter=True, meta={UNIT_META: "C s1 home js"})
    assert q.push(again) == ALREADY and len(q) == 1
    popped = q.pop()
    assert q.push(popped.replace(dont_filter=True)) == QUEUED  # the retry: token in meta
    assert redis_db.hlen(keys.inflight("w1")) == 0 and len(q) == 1
    # decoy: requests without a unit are queued as scrapy-redis would (filtered only by fingerprint)
    plain = Request("http://www.example.gov.cn/js/foot.js", dont_filter=True)
    assert q.push(plain) == QUEUED and q.push(plain.replace(priority=1)) == QUEUED and len(q) == 3
    assert q.push(_req("p"), keys.dupefilter, "fp1") == QUEUED and q.push(_req("p"), keys.dupefilter, "fp1") == FILTERED


def test_a_held_homepage_is_rebuilt_as_the_spider_parsed_it():
    """The fleet keeps a homepage waiting for its companions as JSON: rebuilt, it has the same text,
    the same links (with their elements in the new tree) — also for GBK pages and early ``</html>``."""
    import json

    from scrapy.http import HtmlResponse

    from crawler.fleet.homepages import page_from_record, page_record
    from crawler.links import extract_links
    from crawler.markup import page_tree
    from govinspect.vocabulary import ElementBox, Page, RenderInfo

    site = Site("s1", "某市政府", "某市", "portal", "http://www.a.gov.cn/")
    body = ('<html><head><meta charset="gbk"><base href="http://www.a.gov.cn/sub/"><title>某市</title></head>'
            '<body><!--#include header--></html><a href="x.html">新闻</a><iframe src="/foot/"></iframe>'
            '<img src="logo.png" data-gi-id="7"></body></html>').encode("gbk")
    response = HtmlResponse("http://www.a.gov.cn/", body=body, headers={"Content-Type": "text/html; charset=gbk"})
    tree = page_tree(response)
    page = Page(url=response.url, site=site, status=200, headers={"content-type": "text/html; charset=gbk"},
                text=response.text, tree=tree, links=extract_links(tree, response.url), is_homepage=True,
                rendered=RenderInfo(boxes={"7": ElementBox(1, 2, 3, 4)}, extra={"document_size": (800, 600)}))
    back = page_from_record(json.loads(json.dumps(page_record(page, cut=False))), site, None, 0)
    assert back.text == page.text and back.is_homepage and back.url == page.url
    assert [(link.url, link.tag, link.text) for link in back.links] == [
        (link.url, link.tag, link.text) for link in page.links]
    assert ("http://www.a.gov.cn/sub/x.html", "a") in [(link.url, link.tag) for link in back.links]  # after </html>
    assert all(link.element is None or link.element.getroottree().getroot() is back.tree for link in back.links)
    assert back.rendered.boxes["7"] == ElementBox(1, 2, 3, 4) and back.rendered.extra["document_size"] == (800, 600)
    assert [link.url for link in page_from_record(page_record(page, cut=False), site, None, 1).links] == [
        back.links[0].url]  # PAGE_MAX_LINKS applies as in the crawl


def test_a_watcher_that_could_not_look_does_not_count_the_gap_as_silence(redis_db, keys):
    """After a Redis restart (or a stall of the watcher) every counter is old by the length of the
    gap: the watcher starts afresh instead of reaping workers that could not beat either."""
    quiet = Membership(redis_db, keys, "quiet", timeout=0.4)
    watcher = Membership(redis_db, keys, "watcher", timeout=0.4)
    quiet.heartbeat()
    q = _queue(redis_db, keys, "quiet")
    q.push(_req("p"))
    q.pop()
    assert watcher.reap() == 0
    time.sleep(0.5)  # the watcher could not look: beyond the timeout, yet nobody is judged on it
    assert watcher.reap() == 0 and redis_db.hlen(keys.inflight("quiet")) == 1
    for _ in range(5):  # decoy: watched continuously and still silent, it is reaped
        time.sleep(0.1)
        watcher.reap()
    assert redis_db.hlen(keys.inflight("quiet")) == 0 and len(q) == 1


def test_a_finished_runs_keys_expire_and_it_leaves_the_listing(redis_db):
    registry = Registry([Site("s1", "某市政府", "某市", "portal", "http://www.a.gov.cn/")])
    seed_run(redis_db, registry, "old", "2026-11-20", None, lock_ttl=60)
    redis_db.delete(LOCK)
    seed_run(redis_db, registry, "new", "2026-11-21", None, lock_ttl=60)
    memo = RunKeys("old").queue + ":memo:x"
    redis_db.set(memo, "1", ex=30)
    assert redis_db.ttl(RunKeys("old").meta) == -1  # decoy: a run's keys live until it is finished
    assert expire_run(redis_db, "old", 3600) >= 3
    assert 3500 < redis_db.ttl(RunKeys("old").meta) <= 3600 and redis_db.ttl(RunKeys("new").meta) == -1
    assert redis_db.ttl(memo) <= 30  # a shorter-lived key keeps its own life
    assert [run_id for run_id, _ in listed_runs(redis_db)] == ["old", "new"]
    for key in redis_db.scan_iter(match=f"{RunKeys('old').base}:*"):
        redis_db.delete(key)  # what expiry does, later
    assert [run_id for run_id, _ in listed_runs(redis_db)] == ["new"]
    assert redis_db.zrange(RUNS, 0, -1) == [b"new"]
