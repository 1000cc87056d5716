"""The run API's start and join (what ``seed`` and fleet workers build on), on both run-state backends."""

from __future__ import annotations

from datetime import date

import pytest

from govinspect.api import RunExists, join_run, open_run
from govinspect.config import build_settings
from govinspect.registry import Registry, Site
from govinspect.store import FindingStore
from tests.support.redis import drop_prefix, redis_url, unique_prefix

SITES = Registry([
    Site(id="3416000001", name="示例市人民政府", organizer="示例市人民政府办公室", level="portal",
         url="http://www.example-city.gov.cn/", archive_paths=("/lsgd/",), extra_hosts=("example-city.gov.cn",)),
    Site(id="3416000002", name="示例市教育局", organizer="示例市教育局", level="department",
         url="http://jyj.example-city.gov.cn/", parent="3416000001", render="never"),
])


@pytest.fixture(params=["memory", "redis"])
def settings(request, tmp_path):
    extra = {"GOVINSPECT_STORE": str(tmp_path / "s.sqlite3")}
    if request.param == "memory":
        yield build_settings(extra=extra)
        return
    url, prefix = redis_url(), unique_prefix()
    yield build_settings(extra={**extra, "RUN_STATE_BACKEND": "redis", "REDIS_URL": url, "REDIS_KEY_PREFIX": prefix})
    drop_prefix(url, prefix)


def test_open_then_join_gives_the_same_run(settings):
    opened = open_run(SITES, settings, date(2026, 11, 20), "seeded", max_pages=50)
    assert opened.owner and opened.max_pages == 50
    store = FindingStore(settings.get("GOVINSPECT_STORE"))
    assert store.run("seeded")["status"] == "running"
    assert [r["site_id"] for r in store.run_sites("seeded")] == ["3416000001", "3416000002"]
    store.close()
    if settings.get("RUN_STATE_BACKEND") != "redis":
        return  # the in-process state is this process's own: nobody else can join it
    joined = join_run(settings, "seeded")
    assert not joined.owner
    assert (joined.as_of, joined.max_pages, joined.registry.sites) == (opened.as_of, 50, SITES.sites)
    assert joined.state.progress("3416000002").max_pages == 50
    opened.state.claim_page("3416000001", "http://www.example-city.gov.cn/")
    assert joined.state.claim_page("3416000001", "http://www.example-city.gov.cn/") is None
    with pytest.raises(LookupError):
        join_run(settings, "never-seeded")


def test_reused_id_refused_unless_resumed(settings):
    open_run(SITES, settings, date(2026, 11, 20), "r1")
    with pytest.raises(RunExists, match="r1"):
        open_run(SITES, settings, date(2026, 11, 21), "r1")
    resumed = open_run(SITES, settings, date(2026, 11, 20), "r1", resume=True, owner=False)
    assert not resumed.owner
    store = FindingStore(settings.get("GOVINSPECT_STORE"))
    assert [r["run_id"] for r in store.runs()] == ["r1"]
    store.close()


def test_interrupted_run_is_folded_and_its_run_state_dropped(settings):
    """A run whose process died: folded as interrupted by the next start, its run state purged."""
    import socket
    import subprocess
    import sys

    from govinspect.runstate import open_run_state

    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    store = FindingStore(settings.get("GOVINSPECT_STORE"))
    store.start_run("dead", "2026-11-19", {"host": socket.gethostname(), "pid": dead.pid}, SITES)
    store.close()
    old = open_run_state(settings, "dead")
    old.begin({"3416000001": 5})
    old.claim_page("3416000001", "http://www.example-city.gov.cn/")
    open_run(SITES, settings, date(2026, 11, 20), "next")
    store = FindingStore(settings.get("GOVINSPECT_STORE"))
    assert {r["run_id"]: r["status"] for r in store.runs()} == {"dead": "interrupted", "next": "running"}
    store.close()
    if settings.get("RUN_STATE_BACKEND") == "redis":
        assert list(old.r.scan_iter(match=f"{old.p}:*")) == []
