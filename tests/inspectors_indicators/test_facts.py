"""Page facts in the store: one row per site, kind, key and page; masked like everything written;
kept per run; read back by the run view."""

from __future__ import annotations

from govinspect.facts import Fact
from govinspect.store import FindingStore


def test_facts_are_stored_once_masked_and_per_run(tmp_path):
    store = FindingStore(tmp_path / "s.sqlite3")
    try:
        fact = Fact("3416000001", "interaction.message", "http://a.gov.cn/l.html#问题", "http://a.gov.cn/l.html",
                    {"title": "请回电13812345678", "shown": ["submitted"]})
        store.add_facts("r1", [fact, fact])
        store.add_facts("r1", [fact])
        store.add_facts("r2", [Fact("3416000001", "interaction.message", "k2", "http://a.gov.cn/m.html", {})])
        (got,) = store.view("r1").facts("3416000001", "interaction.message")
        assert got.key == fact.key and got.page_url == fact.page_url
        assert got.data["shown"] == ["submitted"] and "13812345678" not in got.data["title"]
        assert [f.key for f in store.view("r2").facts("3416000001", "interaction.message")] == ["k2"]
        assert store.view("r1").facts("3416000001", "policy.item") == []
    finally:
        store.close()
