"""Rectification lists in the real engines: issued lists are indexed, a fix updates the entry and list."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from govinspect.search.adapter import SearchEngine
from govinspect.search.config import SearchConfig
from govinspect.store import FindingStore
from tests.search.helpers import SITE_A, SITE_B, broken, do_run, leak, stale
from tests.support.cli import clean_env, govinspect


@pytest.fixture
def rect_engine(engine: SearchEngine, config: SearchConfig) -> Iterator[SearchEngine]:
    yield engine
    engine.delete_template(f"{config.index_prefix}-rectification")


def _entries(engine: SearchEngine, prefix: str) -> list[dict]:
    engine.refresh(f"{prefix}-rectification")
    reply = engine.search(f"{prefix}-rectification", {"size": 100, "query": {"match_all": {}}})
    return [h["_source"] for h in reply["hits"]["hits"]]


def test_lists_indexed_and_follow_fixes(rect_engine: SearchEngine, config: SearchConfig, store: FindingStore,
                                        tmp_path) -> None:
    do_run(store, "r1", [broken(SITE_A, "a.html", "x.pdf"), leak(SITE_A, "b.html"), stale(SITE_B)],
           sites=(SITE_A, SITE_B))
    path = str(store.path)
    store.close()
    env = clean_env(GOVINSPECT_ES_URL=config.url, GOVINSPECT_ES_INDEX_PREFIX=config.index_prefix)
    result = govinspect("rectify", "issue", "--date", "2026-11-02", "--out", str(tmp_path / "lists"),
                        "--store", path, env=env)
    assert result.returncode == 0, result.stderr[-2000:]
    docs = _entries(rect_engine, config.index_prefix)
    assert len(docs) == 3
    by_rule = {d["rule"]["id"]: d for d in docs}
    a = by_rule["leak.id-number"]["govinspect"]["rectification"]
    assert a["number"].startswith("整改〔2026〕") and a["deadline"] == "2026-11-05" and a["list_status"] == "open"
    assert "340102199001011237" not in str(docs)  # masked in the index too
    # a later complete run of site A no longer sees its problems: fixed, list closed, index follows
    s = FindingStore(path)
    do_run(s, "r2", [], sites=(SITE_A,))
    s.close()
    listed = govinspect("rectify", "list", "--json", "--date", "2026-11-10", "--store", path, env=env)
    assert listed.returncode == 0, listed.stderr[-2000:]
    docs = {d["rule"]["id"]: d["govinspect"] for d in _entries(rect_engine, config.index_prefix)}
    assert docs["leak.id-number"]["rectification"]["entry_status"] == "fixed"
    assert docs["leak.id-number"]["rectification"]["list_status"] == "closed"
    assert docs["leak.id-number"]["finding"]["status"] == "fixed"
    stale_b = docs["freshness.homepage-stale"]["rectification"]
    assert stale_b["list_status"] == "open" and stale_b["overdue"] is True
