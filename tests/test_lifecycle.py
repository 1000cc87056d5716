"""Finding lifecycle across real runs: open → fixed → reopened, and incomplete runs fix nothing.

Each test runs on both store backends (SQLite file, PostgreSQL database): ``store_target``.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import textwrap

from govinspect.store import FindingStore
from tests.support.cli import FAST, LINKS_ONLY, govinspect, write_registry
from tests.support.server import Route, RouteServer, html

HOME = html('<a href="/a.html">A</a><a href="/b.html">B</a><a href="/c.html">C</a><a href="/d.html">D</a>')


def _statuses(store_path) -> dict[str, str]:
    store = FindingStore(store_path)
    try:
        return {r["target_url"].rsplit("/", 1)[-1]: r["status"] for r in store.findings(rule="link.broken")}
    finally:
        store.close()


def test_open_fixed_reopened_across_three_runs_and_halfway_run(tmp_path, store_target):
    store = store_target
    with RouteServer({"/": Route(HOME), "/c.html": Route(html("c")), "/d.html": Route(html("d"))}) as srv:
        registry = write_registry(tmp_path / "r.csv", [
            {"id": "3416000001", "name": "测试", "organizer": "测试办", "url": srv.url + "/"}])

        def run(run_id: str, *extra: str):
            result = govinspect("crawl", "--registry", str(registry), "--store", str(store), "--run-id", run_id,
                                "-s", f"STORE_SPOOL_DIR={tmp_path / 'spool'}",
                                *FAST, *LINKS_ONLY, *extra)
            return result

        assert run("r1").returncode == 0
        assert _statuses(store) == {"a.html": "open", "b.html": "open"}

        srv.routes["/a.html"] = Route(html("now fixed"))
        assert run("r2").returncode == 0
        assert _statuses(store) == {"a.html": "fixed", "b.html": "open"}

        # A run stopped halfway (page budget of the closespider extension) marks nothing fixed.
        srv.routes["/b.html"] = Route(html("fixed too, but the run will not get that far"))
        halfway = run("r3-halfway", "-s", "CLOSESPIDER_PAGECOUNT=1")
        assert halfway.returncode == 1
        assert _statuses(store) == {"a.html": "fixed", "b.html": "open"}

        del srv.routes["/a.html"]
        assert run("r4").returncode == 0
        assert _statuses(store) == {"a.html": "reopened", "b.html": "fixed"}

    s = FindingStore(store)
    a = next(r for r in s.findings() if r["target_url"].endswith("a.html"))
    assert a["run_id"] == "r4" and a["first_seen"] <= a["last_seen"]
    runs = {r["run_id"]: r["status"] for r in s.runs()}
    assert runs == {"r1": "finished", "r2": "finished", "r3-halfway": "incomplete", "r4": "finished"}
    sites = {r["run_id"]: r for r in (s.run_sites(i)[0] for i in runs)}
    assert sites["r3-halfway"]["completed"] == 0 and "closespider" in sites["r3-halfway"]["reason"]
    s.close()


def test_page_budget_exhausted_is_incomplete(tmp_path, store_target):
    store = store_target
    with RouteServer({"/": Route(HOME)}) as srv:
        registry = write_registry(tmp_path / "r.csv", [
            {"id": "3416000001", "name": "测试", "organizer": "测试办", "url": srv.url + "/"}])
        result = govinspect("crawl", "--registry", str(registry), "--store", str(store), "--max-pages", "2", *FAST, *LINKS_ONLY,
                            "-s", f"STORE_SPOOL_DIR={tmp_path / 'spool'}")
    assert result.returncode == 0
    s = FindingStore(store)
    site = s.run_sites(s.runs()[0]["run_id"])[0]
    assert site["completed"] == 0 and "budget" in site["reason"]
    # pages beyond the budget are still checked, so their broken links are still found
    assert {r["target_url"].rsplit("/", 1)[-1] for r in s.findings()} >= {"a.html", "b.html"}


def test_killed_process_keeps_written_findings(tmp_path, store_target):
    """A process killed with SIGKILL after writing observations loses none of them."""
    store = store_target
    child = textwrap.dedent(f"""
        import os, signal
        from govinspect.findings import Observation
        from govinspect.registry import Site
        from govinspect.store import FindingStore
        site = Site(id="3416000001", name="测试", organizer="测试办", level="portal", url="http://a.gov.cn/")
        store = FindingStore({str(store)!r})
        store.start_run("killed", "2026-11-27", {{}}, [site])
        for i in range(3):
            store.add_observation("killed", Observation(rule="ad.commercial", site_id=site.id,
                page_url=f"http://a.gov.cn/p{{i}}.html", message="商业广告"), site.url)
        os.kill(os.getpid(), signal.SIGKILL)
    """)
    proc = subprocess.run([sys.executable, "-c", child], capture_output=True)
    assert proc.returncode == -signal.SIGKILL
    s = FindingStore(store)
    assert s.recover_interrupted() == ["killed"]
    records = list(s.findings())
    assert len(records) == 3 and {r["status"] for r in records} == {"open"}
    assert s.runs()[0]["status"] == "interrupted"
    assert json.loads(json.dumps(records[0]))["rule"] == "ad.commercial"
