"""The run-state contract, one suite for both backends (in-process and a real Redis)."""

from __future__ import annotations

import multiprocessing
import threading

import pytest

from govinspect.runstate import RunState
from govinspect.runstate.redis import RedisRunState


def test_pages_are_claimed_once_within_the_budget(state: RunState):
    assert state.claim_pages("a", ["u1", "u2", "u1"]) == [True, True, None]
    assert not state.progress("a").budget_exhausted
    assert state.claim_pages("a", ["u3", "u4", "u2"]) == [True, False, None]
    p = state.progress("a")
    assert p.pages_scheduled == 3 and p.budget_exhausted and p.max_pages == 3
    assert state.pages_seen("a", ["u1", "u4", "zz"]) == [True, False, False]
    # sites are separate; budget 0 means no limit
    assert state.claim_pages("b", ["u1"] * 1 + [f"p{i}" for i in range(50)]).count(True) == 51
    assert state.progress("b").budget_exhausted is False


def test_begin_is_idempotent(state: RunState):
    state.claim_pages("a", ["u1"])
    state.begin({"a": 99, "c": 5})
    assert state.progress("a").max_pages == 3 and state.progress("a").pages_scheduled == 1
    assert sorted(state.site_ids()) == ["a", "b", "c"]


def test_targets_once_per_run_and_every_linking_site_waits(state: RunState):
    assert state.claim_targets("a", ["X", "Y", "X"]) == [True, True, False]
    assert state.progress("a").pending == 2  # one unit per target and site
    assert state.claim_targets("b", ["X"]) == [False]  # checked by a; b waits for it all the same
    assert state.progress("b").pending == 1
    assert state.target_done("X") == ["a", "b"]
    assert state.progress("a").pending == 1 and state.progress("b").pending == 0
    assert state.target_done("X") == []  # idempotent
    assert state.progress("a").pending == 1
    # a resolved target is neither fetched again nor waited for
    assert state.claim_targets("b", ["X"]) == [False]
    assert state.progress("b").pending == 0


def test_site_is_done_when_homepage_answered_and_nothing_pending(state: RunState):
    state.add_pending("a")
    assert not state.is_done("a")
    state.homepage_fetched("a", ok=True)
    state.add_pending("a", 2)
    assert state.done_pending("a") == 2
    assert not state.is_done("a")
    state.done_pending("a", 2)
    assert state.is_done("a")
    assert not state.is_done("b")  # nothing pending but its homepage was never answered
    state.homepage_fetched("b", ok=False)
    p = state.progress("b")
    assert p.done and not p.homepage_ok
    assert p.completion("finished") == (False, "homepage not fetched")
    assert state.progress("a").completion("finished") == (True, "completed")
    assert state.progress("a").completion("shutdown") == (False, "run ended early (shutdown)")


def test_counters_and_failures_make_a_site_incomplete(state: RunState):
    state.homepage_fetched("a", ok=True)
    assert state.incr("a", "pages") == 1
    assert state.incr("a", "pages", 4) == 5
    state.incr("a", "errors")
    state.incr("a", "blocked", 2)
    state.incr("a", "trapped")
    p = state.progress("a")
    assert (p.pages, p.errors, p.blocked, p.trapped) == (5, 1, 2, 1)
    assert p.completion("finished") == (True, "completed")
    state.incr("a", "failures")
    assert state.progress("a").completion("finished")[0] is False
    with pytest.raises(ValueError):
        state.incr("a", "pending")


def test_scope_hosts_and_trap_variants(state: RunState):
    assert state.scope_hosts("a") == set()
    state.add_scope_host("a", "www.example.gov.cn")
    assert state.scope_hosts("a") == {"www.example.gov.cn"}
    assert [state.trap_variant("a", "/cal", f"d={i}", 3) for i in range(5)] == [True, True, True, False, False]
    assert state.trap_variant("a", "/cal", "d=1", 3)  # a known variant stays admitted
    assert state.trap_variant("b", "/cal", "d=9", 3)  # per site
    assert state.trap_variant("a", "/other", "d=9", 3)  # per path


def test_shared_data_round_trips_json(state: RunState):
    value = {"url": "http://例子.gov.cn/", "named": False, "images": ["/a.png"], "n": 3}
    state.put("ns", "a", value)
    assert state.get("ns", "a") == value
    assert state.get("ns", "missing") is None
    state.put("ns", "a", True)
    assert state.get_many("ns", ["a", "zz"]) == [True, None]
    assert state.get_many("ns", []) == []


def test_finalisation_and_run_end_claimed_once(state: RunState):
    assert state.claim_finalisation("a") is True
    assert state.claim_finalisation("a") is False
    assert state.claim_finalisation("b") is True
    assert state.finalised_sites() == {"a", "b"}
    assert state.progress("a").finalised
    assert state.claim_run_end() is True
    assert state.claim_run_end() is False


def test_another_process_sees_the_same_run(make_state):
    """Two handles on one run id (two processes in Redis) share it; another run id does not."""
    one, two, other = make_state("r1"), make_state("r1"), make_state("r2")
    one.begin({"a": 10})
    one.claim_pages("a", ["u1"])
    one.put("ns", "a", {"x": 1})
    assert two.claim_pages("a", ["u1", "u2"]) == [None, True]
    assert two.get("ns", "a") == {"x": 1}
    assert two.claim_finalisation("a") and not one.claim_finalisation("a")
    assert other.claim_pages("a", ["u1"]) == [True]


def test_purge_forgets_the_run(make_state):
    state = make_state("r1")
    state.begin({"a": 10})
    state.claim_pages("a", ["u1"])
    state.claim_targets("a", ["X"])
    state.put("ns", "a", 1)
    state.purge()
    assert state.pages_seen("a", ["u1"]) == [False]
    assert state.get("ns", "a") is None
    if isinstance(state, RedisRunState):
        assert list(state.r.scan_iter(match=f"{state.p}:*")) == []


def test_concurrent_claims_are_atomic(make_state):
    """Eight threads (each with its own Redis connection) race for overlapping pages and targets."""
    make_state("r1").begin({"a": 100})
    results: list[list] = []
    lock = threading.Lock()

    def work(n: int) -> None:
        s = make_state("r1")
        pages = s.claim_pages("a", [f"u{(n * 37 + i) % 150}" for i in range(150)])
        targets = s.claim_targets("a", [f"t{i}" for i in range(40)])
        with lock:
            results.append([pages, targets])

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(r[0].count(True) for r in results) == 100  # never beyond the budget, never twice
    assert sum(r[1].count(True) for r in results) == 40  # each target fetched by exactly one
    p = make_state("r1").progress("a")
    assert p.pages_scheduled == 100 and p.budget_exhausted
    assert p.pending == 40  # one waiting unit per target for site a, however many claimed it


def _claim_in_process(url: str, prefix: str, n: int, queue) -> None:
    state = RedisRunState.from_url("r1", url, prefix)
    claimed = [u for u, ok in zip([f"u{i}" for i in range(300)],
                                  state.claim_pages("a", [f"u{i}" for i in range(300)]), strict=True) if ok]
    queue.put(claimed)


def test_separate_processes_claim_each_page_once(make_state):
    """Real processes on one Redis: every page is claimed by exactly one, the budget holds."""
    if not hasattr(make_state, "url"):
        pytest.skip("the in-process backend serves one process by design")
    make_state("r1").begin({"a": 250})
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    procs = [ctx.Process(target=_claim_in_process, args=(make_state.url, make_state.prefix, n, queue))
             for n in range(3)]
    for p in procs:
        p.start()
    claimed = [queue.get(timeout=60) for _ in procs]
    for p in procs:
        p.join(timeout=60)
    flat = [u for c in claimed for u in c]
    assert len(flat) == 250 and len(set(flat)) == 250


def test_claim_links_is_one_page_worth_of_claims(state: RunState):
    """Pages claimed and counted pending; known pages not checked; refused pages checked instead."""
    state.claim_pages("a", ["seen"])
    pages, targets, late = state.claim_links(
        "a", ["p1", "seen", "p2", "p3"], [("X", "X"), ("seen", "seen"), ("A att", None), ("X", "X")])
    assert pages == [True, None, True, False]  # budget 3: "seen" used one
    assert targets == [True, False, True, False]
    assert late == [True]  # p3, beyond the budget, is checked
    p = state.progress("a")
    assert p.budget_exhausted and p.pending == 2 + 3  # two pages taken, three targets waited for
    assert state.claim_links("a", ["p4"], [], check_refused=False) == ([False], [], [])
    assert state.claim_links("b", [], [("X", "X"), ("Y", None)]) == ([], [False, True], [])
    assert state.progress("b").pending == 2  # b waits for X (a checks it) and Y
    assert state.target_done("X") == ["a", "b"]
    assert state.claim_links("b", [], []) == ([], [], [])


def test_targets_done_in_one_call(state: RunState):
    state.claim_targets("a", ["X", "Y"])
    state.claim_targets("b", ["Y", "Z"])
    assert sorted(state.targets_done(["X", "Y", "Y", "nobody-waits"])) == ["a", "b"]
    assert state.progress("a").pending == 0 and state.progress("b").pending == 1
    assert state.targets_done(["X"]) == [] and state.targets_done([]) == []
    assert state.claim_targets("a", ["Y"]) == [False] and state.progress("a").pending == 0
    assert state.waits_for("b", ["X", "Y", "Z", "never-claimed"]) == [False, False, True, False]
    assert state.waits_for("a", ["Z"]) == [False] and state.waits_for("a", []) == []
    assert state.waiting_targets("b") == ["Z"] and state.waiting_targets("a") == []


# ---- waiting rooms, claims within a budget, tallies (issue 8: the fleet's image, soft-404 and hijack state)
def test_items_wait_for_a_result_and_are_handed_to_the_resolver(make_state):
    one, two = make_state("r1"), make_state("r1")  # two processes of one run (Redis)
    ctx = {"url": "http://例子.gov.cn/a.png", "page": "/p1", "box": None, "declared": [60, 64]}
    assert one.wait_for("img", [("u1", ctx), ("u2", {"page": "/p1"})]) == {}
    assert two.wait_for("img", [("u1", {"page": "/p2"})]) == {}
    assert one.results("img", ["u1", "u2"]) == {}
    first, items = two.resolve("img", "u1", {"w": 60, "flag": None})
    assert first is True and items == [ctx, {"page": "/p2"}]
    # resolved: later items are answered at once, not kept; other keys still wait
    assert one.wait_for("img", [("u1", {"page": "/p3"}), ("u2", {"page": "/p3"})]) == {"u1": {"w": 60, "flag": None}}
    assert one.results("img", ["u1", "u2", "zz"]) == {"u1": {"w": 60, "flag": None}}
    # the first result stays; a second resolve (a request redone after a kill) gets the same items again
    assert one.resolve("img", "u1", {"w": 1}) == (False, [ctx, {"page": "/p2"}])
    assert one.results("img", ["u1"]) == {"u1": {"w": 60, "flag": None}}
    assert one.resolve("img", "u2", None) == (True, [{"page": "/p1"}, {"page": "/p3"}])
    assert two.results("img", ["u2"]) == {"u2": None}  # a None result is a result
    assert two.wait_for("img", [("u2", 1)]) == {"u2": None}
    assert two.resolve("img", "nobody", 5) == (True, [])
    assert two.resolve("other", "u1", 7) == (True, [])  # namespaces are separate
    assert one.wait_for("img", []) == {} and one.results("img", []) == {}


def test_waiting_items_are_limited_per_key(state: RunState):
    state.wait_for("held", [("a", i) for i in range(5)], limit=3)
    state.wait_for("held", [("a", 9), ("b", 1)], limit=3)
    assert state.resolve("held", "a", "err") == (True, [0, 1, 2])
    assert state.resolve("held", "b", "err") == (True, [1])


def test_resolve_races_wait_for_without_losing_items(make_state):
    """Threads queue items while another resolves: every item is either handed over or answered."""
    make_state("r1")
    answered: list[int] = []
    lock = threading.Lock()

    def waiter(n: int) -> None:
        s = make_state("r1")
        for i in range(40):
            got = s.wait_for("room", [("k", n * 100 + i)])
            if got:
                with lock:
                    answered.append(n * 100 + i)

    threads = [threading.Thread(target=waiter, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    _, handed = make_state("r1").resolve("room", "k", "done")
    for t in threads:
        t.join()
    assert sorted(handed + answered) == sorted(n * 100 + i for n in range(4) for i in range(40))


def test_claims_within_a_budget_per_group(make_state):
    one, two = make_state("r1"), make_state("r1")
    assert one.claim_within("req", "a", ["i1", "i2", "i1"], limit=3) == [True, True, True]
    assert two.claim_within("req", "a", ["i3", "i4", "i1"], limit=3) == [True, False, True]  # i1: claimed before
    assert two.claim_within("req", "b", ["i4", "i2"], limit=1) == [True, True]  # i2 claimed by a: no cost to b
    assert one.claim_within("req", "b", ["i5"], limit=1) == [False]
    assert one.claim_within("req", "c", [f"x{i}" for i in range(50)], limit=0).count(True) == 50  # 0: no limit
    assert two.claimed("req", ["i1", "i4", "i5", "x7"]) == [True, True, False, True]
    assert one.claimed("other", ["i1"]) == [False] and one.claimed("req", []) == []
    assert one.claim_within("req", "a", [], limit=3) == []


def test_concurrent_claims_within_a_budget_hold_it(make_state):
    results: list[list[bool]] = []
    lock = threading.Lock()

    def work(n: int) -> None:
        got = make_state("r1").claim_within("req", "site", [f"i{(n * 7 + i) % 60}" for i in range(60)], limit=25)
        with lock:
            results.append(got)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(make_state("r1").claimed("req", [f"i{i}" for i in range(60)])) == 25


def test_tallies_count_across_processes(make_state):
    one, two = make_state("r1"), make_state("r1")
    assert one.tally("checks", "a", 3) == 3
    assert two.tally("checks", "a") == 4
    assert two.tally("checks", "b", 2) == 2 and one.tally("other", "a") == 1


def test_purge_forgets_rooms_claims_and_tallies(make_state):
    state = make_state("r1")
    state.wait_for("room", [("k", 1)])
    state.resolve("room", "j", 2)
    state.claim_within("req", "a", ["i"], 5)
    state.tally("n", "a")
    state.purge()
    assert state.results("room", ["j"]) == {} and state.resolve("room", "k", 3) == (True, [])
    assert state.claimed("req", ["i"]) == [False] and state.tally("n", "a") == 1
def test_named_units_are_counted_and_counted_off_once(make_state):
    """A fleet redoes a dead worker's request: its follow-ups are added again and it is done again;
    each named unit moves the pending count once (another process sees the same)."""
    state = make_state("r1")
    state.begin({"a": 0})
    state.add_pending("a")  # a page counted by its claim
    assert state.add_units("a", ["C home js", "R home"]) == 2
    assert state.add_units("a", ["C home js"]) == 0  # the redo adds it again: no change
    assert state.progress("a").pending == 3
    assert make_state("r1").open_units("a") == ["C home js", "R home"]  # named what a dead worker would lose
    other = make_state("r1")
    assert other.done_units("a", ["P home", "P home"]) == 1
    assert state.done_units("a", ["P home", "C home js"]) == 1  # the redone page is not counted again
    assert other.progress("a").pending == 1
    assert state.done_units("a", ["R home"]) == 1 and state.progress("a").pending == 0
    assert state.open_units("a") == [] and state.open_units("b") == []
    assert state.done_units("b", []) == 0  # decoy: nothing named, nothing moves


def test_a_units_counters_are_added_once_with_it(make_state):
    """A page's counters (pages, errors) ride on its unit: a redone page is counted once."""
    state = make_state("r2")
    state.begin({"a": 0})
    state.add_units("a", ["P x", "P y"])
    assert state.done_units("a", ["P x", "P y"], [("pages",), ("errors", "blocked")]) == 2
    assert make_state("r2").done_units("a", ["P x"], [("pages",)]) == 0  # the redo: no change
    progress = state.progress("a")
    assert (progress.pages, progress.errors, progress.blocked, progress.pending) == (1, 1, 1, 0)
    with pytest.raises(ValueError):
        state.done_units("a", ["P z"], [("nonsense",)])


def test_counting_units_off_tells_the_work_left(make_state):
    """The finaliser reads a site's progress only when counting off left nothing pending."""
    state = make_state("r3")
    state.begin({"a": 0})
    state.add_units("a", ["P x", "P y"])
    assert state.done_units_left("a", ["P x"], [("pages",)]) == 1
    assert make_state("r3").done_units_left("a", ["P x"]) == 1  # the redo: nothing moves, still told
    assert state.done_units_left("a", ["P y"]) == 0
    assert state.progress("a").pages == 1 and state.done_units_left("a", []) == 0


def test_counting_off_targets_pages_and_units_in_one_call(make_state):
    """The finaliser counts a batch of stored work off in one call and learns each touched site's
    pending count: targets release the sites waiting for them, pages and named units their site."""
    state = make_state("r5")
    state.begin({"a": 0, "b": 0, "c": 0})
    state.claim_targets("a", ["X", "Y"])
    state.claim_targets("b", ["X"])
    state.add_pending("c", 2)
    state.add_units("b", ["P 1", "P 2"])
    left = state.count_off(["X", "X", "nobody-waits"], {"c": 1}, {"b": (["P 1", "P 1"], [("pages",), ()])})
    assert left == {"a": 1, "b": 1, "c": 1}  # a still waits for Y; b for P 2 (X and P 1 counted once)
    assert state.progress("b").pages == 1
    again = make_state("r5").count_off(["X", "Y"], {}, {"b": (["P 1", "P 2"], [(), ()])})
    assert again == {"a": 0, "b": 0}  # X again and P 1 again move nothing; Y and P 2 finish a and b
    assert state.progress("a").pending == 0 and state.progress("c").pending == 1
    assert state.count_off([], {}, {}) == {}  # decoy: nothing done, nothing touched


def test_counting_off_is_one_round_trip_in_redis(make_state, monkeypatch):
    state = make_state("r6")
    if not isinstance(state, RedisRunState):
        pytest.skip("round trips are Redis's")
    state.begin({"a": 0, "b": 0})
    state.claim_targets("a", ["X"])
    state.add_pending("a")
    state.add_units("b", ["P 1"])
    import redis.connection

    sent = []
    send = redis.connection.AbstractConnection.send_packed_command
    monkeypatch.setattr(redis.connection.AbstractConnection, "send_packed_command",
                        lambda self, command, check_health=True: (sent.append(1), send(self, command, check_health))[1])
    assert state.count_off(["X"], {"a": 1}, {"b": (["P 1"], [()])}) == {"a": 0, "b": 0}
    assert len(sent) == 1


def test_waiting_and_claiming_in_one_call(make_state):
    """A page waits for its links' verdicts and asks for the fetches of those left, within a budget;
    the same as wait_for then claim_within (keys with a result are neither queued nor claimed)."""
    state = make_state("r4")
    state.resolve("verdicts", "judged", "ok")
    state.claim_within("wished", "b", ["asked-by-b"], 5)
    results, asked = state.wait_or_claim("verdicts", [("judged", 1), ("new", 2), ("new", 3), ("asked-by-b", 4),
                                                      ("over", 5)], 0, "wished", "a", 1)
    assert results == {"judged": "ok"}
    assert asked == {"new": True, "asked-by-b": True, "over": False}  # "over": a's budget of 1 is spent
    assert list(asked) == ["new", "asked-by-b", "over"]
    assert make_state("r4").claimed("wished", ["new", "over", "judged"]) == [True, False, False]
    assert state.resolve("verdicts", "new", "bad") == (True, [2, 3])  # both referrers waited
    assert state.wait_or_claim("verdicts", [], 0, "wished", "a", 1) == ({}, {})


def test_a_namespace_is_dropped_whole(state: RunState):
    state.put("home:a", "page", {"url": "http://a/"})
    state.put("home:a", "http://a/f.html", "<p>footer</p>")
    state.put("home:b", "page", {"url": "http://b/"})
    state.drop("home:a")
    assert state.get_many("home:a", ["page", "http://a/f.html"]) == [None, None]
    assert state.get("home:b", "page") == {"url": "http://b/"}
