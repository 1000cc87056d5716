"""A child site (registry ``parent``) is folded only once its parent is done too: policy.repost-late,
concluded when the child is folded, compares the child's copies with the parent's complete pages."""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace

from scrapy.signalmanager import SignalManager

from govinspect import signals as gi_signals
from govinspect.config import project_settings
from govinspect.findings import WorkDone
from govinspect.registry import Registry, Site
from govinspect.store import FindingStore
from govinspect.vocabulary import RunContext
from pipelines.finalise import Finaliser, parents_first

PORTAL = Site(id="3416000001", name="市政府", organizer="市政府办", level="portal", url="http://www.a.gov.cn/")
CHILD = Site(id="3416000002", name="教育局", organizer="教育局", level="department", url="http://jyj.a.gov.cn/",
             parent=PORTAL.id)
OTHER = Site(id="3416000003", name="统计局", organizer="统计局", level="portal", url="http://www.b.gov.cn/")
REGISTRY = Registry([CHILD, PORTAL, OTHER])


def _finaliser(state, store_path, owner=False):
    context = RunContext(run_id="r1", as_of=date(2026, 11, 1), registry=REGISTRY, state=state, owner=owner)
    settings = project_settings({"GOVINSPECT_RUN": context, "GOVINSPECT_STORE": str(store_path)})
    crawler = SimpleNamespace(settings=settings, signals=SignalManager(object()), stats=None)
    folded: list[str] = []
    crawler.signals.connect(lambda site, **kw: folded.append(site.id), signal=gi_signals.site_finalized, weak=False)
    return Finaliser.from_crawler(crawler), folded


def _run(tmp_path, make_state):
    store = FindingStore(tmp_path / "s.sqlite3")
    store.start_run("r1", "2026-11-01", {}, REGISTRY)
    state = make_state("r1")
    state.begin({s.id: 10 for s in REGISTRY})
    for site in REGISTRY:
        state.homepage_fetched(site.id, ok=True)
        state.add_pending(site.id)
    return store, state


def test_child_done_first_waits_for_its_parent(make_state, tmp_path):
    store, state = _run(tmp_path, make_state)
    finaliser, folded = _finaliser(make_state("r1"), store.path)
    other, folded_elsewhere = _finaliser(make_state("r1"), store.path)  # another process of the run
    finaliser.work_done([WorkDone(CHILD.id), WorkDone(OTHER.id)])
    assert folded == [OTHER.id]  # decoy: a site without a parent is folded at once
    other.work_done([WorkDone(PORTAL.id)])
    assert folded_elsewhere == [PORTAL.id, CHILD.id]  # the parent's process folds the waiting child
    assert finaliser.finalise(CHILD.id, "finished") is False


def test_owner_folds_parents_first_when_its_crawl_closes(make_state, tmp_path):
    store, state = _run(tmp_path, make_state)
    finaliser, folded = _finaliser(state, store.path, owner=True)
    finaliser.spider_closed(None, "closespider_pagecount")
    assert folded.index(PORTAL.id) < folded.index(CHILD.id) and len(folded) == 3
    assert [s.id for s in parents_first(REGISTRY)] == [PORTAL.id, OTHER.id, CHILD.id]
