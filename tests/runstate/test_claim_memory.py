"""The Redis run state answers links it has answered before without asking Redis (issue 8: a site's
menus and footer repeat on every page, and re-claiming them was most of Redis's work per page).

The answers must be exactly Redis's: a random mix of claims by two processes, targets resolved and a
page budget running out is replayed against a run whose every call is made by a fresh client (no
memory), and the answers and the run's keys must match.
"""

from __future__ import annotations

import random

import pytest
import redis

from govinspect.runstate.redis import RedisRunState
from tests.support.redis import drop_prefix, redis_url, unique_prefix


@pytest.fixture
def runs():
    url, prefix = redis_url(), unique_prefix()
    made: list[RedisRunState] = []

    def state(run_id: str) -> RedisRunState:
        made.append(RedisRunState.from_url(run_id, url, prefix))
        return made[-1]

    yield url, prefix, state
    for s in made:
        s.close()
    drop_prefix(url, prefix)


def _spy(state: RedisRunState) -> list[list]:
    """The argument lists the state's claim step sends to Redis (the step itself still runs there)."""
    sent: list[list] = []
    step = state._claim_links

    def recording(keys, args):
        sent.append(list(args))
        return step(keys=keys, args=args)

    state._claim_links = recording  # type: ignore[method-assign]
    return sent


def test_links_answered_before_are_not_sent_again(runs):
    _, _, state = runs
    a = state("r")
    a.begin({"s": 0})
    sent = _spy(a)
    menu = [f"http://s/nav/{i}" for i in range(20)]
    first = a.claim_links("s", menu, [("http://x/", "http://x/")])
    assert first[0] == [True] * 20 and first[1] == [True]
    again = a.claim_links("s", [*menu, "http://s/new"], [("http://x/", "http://x/"), ("http://y/", None)])
    assert again == ([None] * 20 + [True], [False, True], [])
    assert "http://s/new" in sent[1] and "http://y/" in sent[1]
    assert not set(menu) & set(sent[1]) and "http://x/" not in sent[1]
    a.claim_links("s", menu, [("http://x/", "http://x/")])
    assert len(sent) == 2  # nothing new: no round trip at all
    # decoy: another site's same links are its own claims, asked for
    assert a.claim_links("t", menu[:1], [("http://x/", "http://x/")]) == ([True], [False], [])
    assert len(sent) == 3
    assert a.progress("t").pending == 2  # its page, and its wait for x (checked for s)


def test_pages_refused_by_the_budget_are_asked_again(runs):
    _, _, state = runs
    a = state("r")
    a.begin({"s": 1})
    assert a.claim_links("s", ["p1", "p2"], []) == ([True, False], [], [True])
    sent = _spy(a)
    assert a.claim_links("s", ["p1", "p2"], []) == ([None, False], [], [False])
    assert sent == [["s", sent[0][1], "1", 1, "p2"]]


def _random_calls(seed: int, n: int = 300):
    rng = random.Random(seed)
    pages = [f"p{i}" for i in range(40)]
    targets = [f"t{i}" for i in range(25)] + pages[:10]
    for _ in range(n):
        roll = rng.random()
        who, site = rng.choice("AB"), rng.choice(["s1", "s2"])
        if roll < 0.8:
            ps = rng.sample(pages, rng.randint(0, 6))
            ts = [(t, t if t.startswith("p") or rng.random() < 0.5 else None) for t in rng.sample(targets, rng.randint(0, 6))]
            if rng.random() < 0.2 and ps:
                ps.append(ps[0])  # the same link twice in one page
            yield who, "claim", (site, ps, ts, rng.random() < 0.7)
        else:
            yield who, "done", (rng.sample(targets, rng.randint(1, 3)),)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_answers_are_redis_answers(runs, seed):
    url, prefix, state = runs
    remembering = {"A": state("mem"), "B": state("mem")}
    remembering["A"].begin({"s1": 25, "s2": 0})
    fresh = state("ref")
    fresh.begin({"s1": 25, "s2": 0})
    for who, kind, args in _random_calls(seed):
        if kind == "claim":
            ref = RedisRunState.from_url("ref", url, prefix)  # a client with no memory: what Redis says
            try:
                assert remembering[who].claim_links(*args) == ref.claim_links(*args), (who, args)
            finally:
                ref.close()
        else:
            assert remembering[who].targets_done(*args) == fresh.targets_done(*args)
    client = redis.Redis.from_url(url)
    for site in ("s1", "s2"):
        mem, ref = remembering["A"].progress(site), fresh.progress(site)
        assert (mem.pending, mem.pages_scheduled, mem.budget_exhausted) == (ref.pending, ref.pages_scheduled,
                                                                            ref.budget_exhausted)
        assert client.smembers(f"{prefix}:run:mem:s:{site}:seen") == client.smembers(f"{prefix}:run:ref:s:{site}:seen")
    assert client.smembers(f"{prefix}:run:mem:t:claimed") == client.smembers(f"{prefix}:run:ref:t:claimed")
    client.close()


def test_a_purged_run_forgets_its_answers(runs):
    _, _, state = runs
    a = state("r")
    a.begin({"s": 0})
    assert a.claim_links("s", ["p"], []) == ([True], [], [])
    a.purge()
    a.begin({"s": 0})
    assert a.claim_links("s", ["p"], []) == ([True], [], [])
