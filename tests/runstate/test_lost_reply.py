"""A claim or count whose reply is lost (Redis restarted between the step and its answer) and that
the client resends takes effect once and answers as the first time (govinspect/runstate/once.py).

Real Redis behind a loopback relay that drops one reply. Without the once-steps the resent claim
finds its own claim and answers "taken": the page, link check or site fold would be lost.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from govinspect.runstate.redis import RedisRunState
from tests.support.lostreply import LostReplyRelay
from tests.support.redis import drop_prefix, redis_url, unique_prefix


@pytest.fixture
def relayed() -> Iterator[tuple[RedisRunState, RedisRunState, LostReplyRelay]]:
    """Two clients of one run: ``lossy`` talks through the relay, ``direct`` does not."""
    url, prefix = redis_url(), unique_prefix()
    relay = LostReplyRelay(url)
    lossy = RedisRunState.from_url("once", relay.url, prefix)
    direct = RedisRunState.from_url("once", url, prefix)
    lossy.begin({"s": 0})
    lossy.claim_pages("s", ["http://s.gov.cn/warm"])  # connection and scripts ready before a reply is lost
    yield lossy, direct, relay
    lossy.close(), direct.close(), relay.close()
    drop_prefix(url, prefix)


def test_a_resent_page_claim_is_still_the_callers(relayed):
    lossy, direct, relay = relayed
    relay.lose_next_reply()
    assert lossy.claim_pages("s", ["http://s.gov.cn/a"]) == [True]
    assert relay.dropped == 1
    assert direct.progress("s").pages_scheduled == 2  # warm + a: claimed once
    assert direct.claim_pages("s", ["http://s.gov.cn/a"]) == [None]  # decoy: another claim is refused


def test_a_resent_link_claim_is_still_the_callers(relayed):
    lossy, direct, relay = relayed
    relay.lose_next_reply()
    pages, targets, _ = lossy.claim_links("s", ["http://s.gov.cn/b"], [("http://other.cn/", "http://other.cn/")])
    assert (pages, targets, relay.dropped) == ([True], [True], 1)
    assert direct.progress("s").pending == 2  # b and the target: each counted once
    assert direct.claim_targets("s2", ["http://other.cn/"]) == [False]


def test_a_resent_fold_claim_and_count_take_effect_once(relayed):
    lossy, direct, relay = relayed
    relay.lose_next_reply()
    assert lossy.claim_finalisation("s") is True
    assert direct.claim_finalisation("s") is False
    direct.add_pending("s", 2)
    relay.lose_next_reply()
    assert lossy.done_pending("s", 1) == 1  # once, not twice (0: the site would fold too early)
    assert direct.progress("s").pending == 1
    relay.lose_next_reply()
    assert lossy.claim_run_end() is True
    assert direct.claim_run_end() is False
    assert relay.dropped == 3
