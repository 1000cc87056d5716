"""The finaliser folds each site exactly once per run, wherever its work ended (both backends).

Two finalisers on one run state and one store stand for two processes of a run: real Scrapy
signal managers, a real SQLite store, the real run-state backends.
"""

from __future__ import annotations

import logging
from datetime import date
from types import SimpleNamespace

from scrapy.signalmanager import SignalManager

from govinspect import signals as gi_signals
from govinspect.config import project_settings
from govinspect.findings import Observation, WorkDone
from govinspect.registry import Registry, Site
from govinspect.store import FindingStore
from govinspect.vocabulary import RunContext
from inspectors.identity_emblem import EmblemMissingInspector
from pipelines.finalise import Finaliser
from tests.inspectors.helpers import CITY, make_page

A = Site(id="3416000001", name="甲", organizer="甲办", level="department", url="http://a.gov.cn/")
B = Site(id="3416000002", name="乙", organizer="乙办", level="department", url="http://b.gov.cn/")
REGISTRY = Registry([A, B])


def _process(state, store_path, owner=False):
    """One process of the run: its own signals, its own finaliser, the shared run state and store."""
    context = RunContext(run_id="r1", as_of=date(2026, 11, 1), registry=REGISTRY, state=state, owner=owner)
    settings = project_settings({"GOVINSPECT_RUN": context, "GOVINSPECT_STORE": str(store_path)})
    crawler = SimpleNamespace(settings=settings, signals=SignalManager(object()), stats=None)  # own sender
    folded: list[str] = []
    ended: list[str] = []
    crawler.signals.connect(lambda site, **kw: folded.append(site.id), signal=gi_signals.site_finalized, weak=False)
    crawler.signals.connect(lambda status, **kw: ended.append(status), signal=gi_signals.run_finished, weak=False)
    return Finaliser.from_crawler(crawler), folded, ended, crawler


def _store(tmp_path):
    store = FindingStore(tmp_path / "s.sqlite3")
    store.start_run("r1", "2026-11-01", {}, REGISTRY)
    store.add_observation("r1", Observation(rule="ad.commercial", site_id=A.id, page_url="http://a.gov.cn/x",
                                            message="商业广告"), A.url)
    return store


def test_site_folded_once_by_whichever_process_finishes_it(make_state, tmp_path):
    store = _store(tmp_path)
    state = make_state("r1")
    state.begin({A.id: 10, B.id: 10})
    f1, folded1, ended1, _ = _process(make_state("r1"), store.path)
    f2, folded2, ended2, _ = _process(make_state("r1"), store.path)
    for site in (A, B):
        state.homepage_fetched(site.id, ok=True)
        state.add_pending(site.id, 2)
    f1.work_done([WorkDone(A.id), WorkDone(B.id)])
    assert folded1 == folded2 == []  # one unit each still pending
    f2.work_done([WorkDone(A.id)])
    assert folded2 == [A.id] and folded1 == []
    # the same news reaching the other process (or twice) folds nothing again
    assert f1.finalise(A.id, "finished") is False and f2.finalise(A.id, "finished") is False
    f1.work_done([WorkDone(B.id)])
    assert folded1 == [B.id]
    assert ended1 == ["finished"] and ended2 == []  # the run ends with its last site, once
    records = list(store.findings())
    assert [r["rule"] for r in records] == ["ad.commercial"] and records[0]["status"] == "open"
    sites = {r["site_id"]: r for r in store.run_sites("r1")}
    assert sites[A.id]["completed"] == 1 and sites[A.id]["finalized_at"]
    assert store.runs()[0]["status"] == "finished"


def test_site_waits_for_a_target_another_site_checks(make_state, tmp_path):
    """b links X, which a claimed and checks: b is not folded before X's result is stored."""
    store = _store(tmp_path)
    state = make_state("r1")
    state.begin({A.id: 10, B.id: 10})
    finaliser, folded, _, _ = _process(state, store.path)
    assert state.claim_targets(A.id, ["X"]) == [True]
    assert state.claim_targets(B.id, ["X"]) == [False]
    for site in (A, B):
        state.homepage_fetched(site.id, ok=True)
    finaliser.work_done([])
    assert folded == []
    finaliser.work_done([WorkDone(A.id, target="X")])
    assert sorted(folded) == [A.id, B.id]


def test_owner_folds_what_is_left_when_its_crawl_closes(make_state, tmp_path):
    store = _store(tmp_path)
    state = make_state("r1")
    state.begin({A.id: 10, B.id: 10})
    finaliser, folded, ended, _ = _process(state, store.path, owner=True)
    state.homepage_fetched(A.id, ok=True)
    state.add_pending(A.id)
    finaliser.work_done([WorkDone(A.id)])
    assert folded == [A.id]
    state.add_pending(B.id)  # b never answered: the run stopped early
    finaliser.spider_closed(None, "closespider_pagecount")
    assert sorted(folded) == [A.id, B.id] and ended == ["incomplete"]
    sites = {r["site_id"]: r for r in FindingStore(store.path).run_sites("r1")}
    assert sites[A.id]["completed"] == 1
    assert sites[B.id]["completed"] == 0 and "closespider" in sites[B.id]["reason"]


def test_store_refuses_to_fold_a_site_twice(tmp_path, caplog):
    store = _store(tmp_path)
    assert store.finalize_site("r1", A, completed=True, reason="completed") == {
        "new": 1, "seen": 0, "reopened": 0, "fixed": 0}
    with caplog.at_level(logging.WARNING, logger="govinspect.store"):
        assert store.finalize_site("r1", A, completed=True, reason="completed") is None
    assert "not folded again" in caplog.text


def test_inspector_concludes_in_another_process(make_state, tmp_path):
    """The emblem check keeps the homepage in the run state: a process that never saw it concludes."""
    registry = Registry([CITY])
    state = make_state("r1")

    def inspector():
        context = RunContext(run_id="r1", as_of=date(2026, 11, 1), registry=registry, state=make_state("r1"))
        crawler = SimpleNamespace(settings=project_settings({"GOVINSPECT_RUN": context, "IMAGE_EMBLEM_REFERENCE_DIR": "",
                                                     "IMAGE_MAXSIZE": 5_000_000, "IMAGE_MAX_PIXELS": 40_000_000,
                                                     "IMAGE_EMBLEM_HASH_DISTANCE": 12}), stats=None)
        return EmblemMissingInspector(crawler)

    seer, judge = inspector(), inspector()
    list(seer.inspect_page(make_page('<img src="/logo.png" width="80" height="80">', url=CITY.url)))
    found = list(judge.site_finished(CITY, None))
    assert [o.rule for o in found] == ["identity.emblem-missing"]
    # decoy: a homepage showing an image named as the emblem is fine, wherever it is judged
    state.put("identity.emblem.homepage", CITY.id, None)
    list(seer.inspect_page(make_page('<img src="/gh.png" alt="国徽" width="80" height="80">', url=CITY.url)))
    assert list(judge.site_finished(CITY, None)) == []


def test_exception_while_processing_a_page_makes_the_site_incomplete(caplog):
    """The spider's callbacks run under ``_tracked``: a crash costs the page and the site's completion,
    never the marker (the site's work still ends, so it is still folded)."""
    from scrapy import Request

    from crawler.spiders.cluster import ClusterSpider
    from govinspect.runstate import MemoryRunState

    state = MemoryRunState("r1")
    state.begin({A.id: 10})
    state.homepage_fetched(A.id, ok=True)
    spider = SimpleNamespace(state=state)
    request = Request("http://a.gov.cn/p.html", meta={"site_id": A.id})

    def crashing():
        yield Observation(rule="ad.commercial", site_id=A.id, page_url=request.url, message="商业广告")
        raise ValueError("boom")

    with caplog.at_level(logging.ERROR):
        out = list(ClusterSpider._tracked(spider, request, crashing()))
    assert [type(o).__name__ for o in out] == ["Observation", "WorkDone"]
    assert out[-1] == WorkDone(A.id, None)
    assert "processing http://a.gov.cn/p.html failed" in caplog.text
    assert state.progress(A.id).completion("finished") == (False, "1 page(s) could not be processed")
    # decoy: a page processed without error leaves the site complete
    ok = MemoryRunState("r2")
    ok.begin({A.id: 10})
    ok.homepage_fetched(A.id, ok=True)
    assert list(ClusterSpider._tracked(SimpleNamespace(state=ok), request, iter([]))) == [WorkDone(A.id, None)]
    assert ok.progress(A.id).completion("finished") == (True, "completed")
