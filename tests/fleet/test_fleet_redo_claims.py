"""A request redone after its worker died claims again what that worker claimed but never queued.

The worker counted its claims pending in the run state; had the redo found them "claimed before",
nothing would ever do them and the site would stay pending until the run folded it incomplete (the
kill test in test_fleet_runs.py saw exactly that for a malformed link and a late attachment).
Real run state (in-process backend); the duplicate filter is a set of queued requests' fingerprints.
"""

from __future__ import annotations

from types import SimpleNamespace

from scrapy import Request
from scrapy.utils.request import RequestFingerprinter

from crawler.fleet.spider import FleetClusterSpider, _RedoClaims
from govinspect.runstate.memory import MemoryRunState
from govinspect.vocabulary import RESOURCE, Link

_fingerprint = RequestFingerprinter().fingerprint


def _redo(state, queued: list[Request]) -> _RedoClaims:
    prints = {_fingerprint(r) for r in queued}
    return _RedoClaims(state, lambda request: _fingerprint(request) in prints)


def test_targets_the_dead_worker_claimed_but_never_queued_are_claimed_again():
    state = MemoryRunState("r")
    state.begin({"a": 0})
    malformed, announced, checked = "javascript:void(0", "A http://a.test/file.pdf", "http://b.test/x"
    assert state.claim_targets("a", [malformed, announced, checked]) == [True, True, True]
    pending = state.progress("a").pending
    redo = _redo(state, [Request("http://b.test/x", method="HEAD")])  # only the check reached the queue
    assert redo.claim_targets("a", [malformed, announced, checked]) == [True, True, False]
    assert state.progress("a").pending == pending  # claimed again, not counted again
    state.target_done(malformed)
    # decoys: a resolved target, and one queued, are not claimed again
    assert redo.claim_targets("a", [malformed, checked]) == [False, False]
    assert _redo(state, [Request("http://a.test/file.pdf")]).claim_targets("a", [announced]) == [False]


def test_late_attachments_claimed_through_claim_links_are_claimed_again_unless_queued():
    state = MemoryRunState("r")
    state.begin({"a": 0})
    target = "A http://a.test/flag.png"
    state.claim_links("a", [], [(target, None)], check_refused=False)
    assert _redo(state, []).claim_links("a", [], [(target, None)], check_refused=False)[1] == [True]
    queued = _redo(state, [Request("http://a.test/flag.png")])
    assert queued.claim_links("a", [], [(target, None)], check_refused=False)[1] == [False]


def test_a_link_whose_url_became_a_page_meanwhile_is_still_checked_for_the_site_that_waits():
    """At the page budget's depth a link is a check target; the dead worker claimed it (the site waits
    for it), then a shallower page claimed the same URL as a page. Only checking it releases the site."""
    state = MemoryRunState("r")
    state.begin({"a": 0})
    url = "http://a.test/deep.html"
    state.claim_links("a", [], [(url, url)])
    assert state.claim_page("a", url) is True
    assert _redo(state, []).claim_links("a", [], [(url, url)])[1] == [True]
    # decoy: a site that never waited for it (the page was claimed first) does not check it
    state.begin({"b": 0})
    other = "http://b.test/deep.html"
    assert state.claim_page("b", other) is True
    assert _redo(state, []).claim_links("b", [], [(other, other)])[1] == [False]


def test_every_step_of_a_redone_callback_sees_the_redo_claims_and_only_it():
    """The swap holds for each step of the callback's generator (its claims happen there), and two
    callbacks stepping in turn each see their own state."""
    real = MemoryRunState("r")
    worker = SimpleNamespace(state=real, _in_dupefilter=lambda request: False)
    seen: list[str] = []

    def callback(tag: str):
        for _ in range(2):
            seen.append(f"{tag}:{type(worker.state).__name__}")
            yield tag

    redone = FleetClusterSpider._under_redo_claims(worker, callback("redo"))
    fresh = callback("fresh")
    for a, b in zip(redone, fresh, strict=True):
        assert (a, b) == ("redo", "fresh")
        assert worker.state is real  # restored between steps
    assert seen == ["redo:_RedoClaims", "fresh:MemoryRunState"] * 2


def test_a_failing_redone_callback_leaves_the_real_state_in_place():
    real = MemoryRunState("r")
    worker = SimpleNamespace(state=real, _in_dupefilter=lambda request: False)

    def broken():
        yield 1
        raise RuntimeError("inspector failed")

    steps = FleetClusterSpider._under_redo_claims(worker, broken())
    assert next(steps) == 1
    try:
        next(steps)
    except RuntimeError:
        pass
    assert worker.state is real


def test_a_redone_page_requests_links_the_dead_worker_claimed_under_their_other_key():
    """First time an image was only checked (key ``url``); redone, an inspector wants it fetched
    (``A url``), or the reverse. The key claimed first still holds the site: it is requested too."""
    state = MemoryRunState("r")
    state.begin({"a": 0})
    checked, fetched, done, queued = (f"http://a.test/{n}.png" for n in ("checked", "fetched", "done", "queued"))
    state.claim_targets("a", [checked, "A " + fetched, done, queued])  # the dead worker's claims
    state.target_done(done)
    redo = _redo(state, [Request(queued, method="HEAD")])
    redo.claim_targets("a", ["A " + checked])  # this time the image is wanted: taken by this redo
    page = SimpleNamespace(url="http://a.test/", site=SimpleNamespace(id="a"), links=[
        Link(checked, "img", kind=RESOURCE), Link(fetched, "img", kind=RESOURCE), Link(done, "img", kind=RESOURCE),
        Link(queued, "img", kind=RESOURCE), Link("http://a.test/next.html", "a")])
    worker = SimpleNamespace(
        _attachment_request=lambda site, link, page, key: ("fetch", key),
        _check_request=lambda site, url, key, referer=None, link_text=None: ("check", key))
    wanted = list(FleetClusterSpider._lost_follow_ups(worker, page, redo))
    assert wanted == [("check", checked), ("fetch", "A " + fetched)]
    # decoys: resolved, queued by someone, claimed by this redo under the key it uses, pages
