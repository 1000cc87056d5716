"""The search-sync bookkeeping (govinspect/search/sync.py, written for SQLite) runs unchanged on
PostgreSQL through the store's dialect layer, ``INSERT OR REPLACE`` included. No engine needed:
only the state kept in the store's database is exercised here."""

from __future__ import annotations

from govinspect.findings import Observation
from govinspect.registry import Site
from govinspect.search.sync import SyncState
from govinspect.store import FindingStore

SITE = Site(id="3416000001", name="测试", organizer="测试办", level="portal", url="http://a.gov.cn/")


def test_sync_state_on_both_backends(store_target, tmp_path):
    store = FindingStore(store_target, spool_dir=tmp_path / "spool")
    store.start_run("r1", "2026-11-27", {}, [SITE])
    for page in ("a", "b"):
        store.add_observation("r1", Observation(rule="ad.commercial", site_id=SITE.id,
                                                page_url=f"http://a.gov.cn/{page}", message="商业广告"), SITE.url)
    store.finalize_site("r1", SITE, True, "done")
    state = SyncState(store, "http://127.0.0.1:9200|gi")
    SyncState(store, "http://127.0.0.1:9200|gi")  # schema applied twice: fine
    pending = state.pending_findings()
    assert len(pending) == 2 and pending[0]["site_id"] == SITE.id
    state.mark_findings([(pending[0]["fingerprint"], pending[0]["updated_at"])])
    assert [r["fingerprint"] for r in state.pending_findings(SITE.id)] == [pending[1]["fingerprint"]]
    assert state.pending_observation_groups() == [("r1", SITE.id)]
    assert len(state.observation_rows("r1", SITE.id)) == 2
    started, name, organizer = state.run_context("r1", SITE.id)
    assert started is not None and (name, organizer) == ("测试", "测试办")
    state.mark_observations("r1", SITE.id)
    state.mark_observations("r1", SITE.id)  # INSERT OR REPLACE: again, no duplicate-key error
    assert state.pending_observation_groups() == []
    assert state.known() == 1
    state.reset()
    assert state.known() == 0 and len(state.pending_findings()) == 2
    store.close()
