"""Scheduled runs through the real ``govinspect`` command: overlapping starts, live runs never folded
as interrupted, reused run ids refused (issue 8 item 6; issue 11 items 3 and 7)."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

from govinspect.store import FindingStore
from tests.support.cli import FAST, LINKS_ONLY, clean_env, govinspect, write_registry
from tests.support.server import Route, RouteServer, html

HOME = html('<a href="/slow.html">慢</a><a href="/missing.html">坏链</a>')


def _routes(gate: threading.Event) -> dict[str, Route]:
    """``/slow.html`` answers when the test opens the gate: the first run is live until then."""
    return {"/": Route(HOME), "/slow.html": Route(html("慢页面"), gate=gate), "/fast/": Route(html("快"))}


def _start(registry: Path, store: Path, run_id: str) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "govinspect.cli", "crawl", "--registry", str(registry), "--store", str(store),
           "--run-id", run_id, *FAST, *LINKS_ONLY]
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=clean_env())


def _wait_running(store: Path, run_id: str, proc: subprocess.Popen) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.communicate()[1][-3000:]
        if store.exists():
            s = FindingStore(store)
            try:
                run = s.run(run_id)
            finally:
                s.close()
            if run is not None and run["status"] == "running":
                return
        time.sleep(0.1)
    raise AssertionError(f"run {run_id} never started")


def test_second_crawl_while_one_runs_exits_3_naming_the_run(tmp_path):
    store = tmp_path / "s.sqlite3"
    gate = threading.Event()
    with RouteServer(_routes(gate)) as srv:
        registry = write_registry(tmp_path / "r.csv", [
            {"id": "3416000001", "name": "测试", "organizer": "测试办", "url": srv.url + "/"}])
        first = _start(registry, store, "nightly-1")
        _wait_running(store, "nightly-1", first)
        second = govinspect("crawl", "--registry", str(registry), "--store", str(store), "--run-id", "nightly-2",
                            *FAST, *LINKS_ONLY)
        gate.set()
        out, err = first.communicate(timeout=120)
    assert second.returncode == 3, second.stderr[-2000:]
    line = second.stderr.strip().splitlines()[-1]
    assert "run nightly-1" in line and f"host {socket.gethostname()}" in line and f"pid {first.pid}" in line
    assert "started 20" in line
    assert first.returncode == 0, err[-3000:]
    s = FindingStore(store)
    assert {r["run_id"]: r["status"] for r in s.runs()} == {"nightly-1": "finished"}
    s.close()


def test_live_run_is_not_folded_as_interrupted_but_a_dead_one_is(tmp_path):
    store = tmp_path / "s.sqlite3"
    # a run whose process was killed with -9 after recording itself (host and pid in its record)
    child = textwrap.dedent(f"""
        import os, signal, socket
        from govinspect.findings import Observation
        from govinspect.registry import Site
        from govinspect.store import FindingStore
        site = Site(id="3416000009", name="旧", organizer="旧办", level="portal", url="http://old.gov.cn/")
        store = FindingStore({str(store)!r})
        store.start_run("killed", "2026-11-27", {{"host": socket.gethostname(), "pid": os.getpid()}}, [site])
        store.add_observation("killed", Observation(rule="ad.commercial", site_id=site.id,
            page_url="http://old.gov.cn/p.html", message="商业广告"), site.url)
        os.kill(os.getpid(), signal.SIGKILL)
    """)
    assert subprocess.run([sys.executable, "-c", child], env=clean_env()).returncode == -signal.SIGKILL
    gate = threading.Event()
    with RouteServer(_routes(gate)) as srv:
        registry = write_registry(tmp_path / "r.csv", [
            {"id": "3416000001", "name": "测试", "organizer": "测试办", "url": srv.url + "/"}])
        first = _start(registry, store, "live")
        _wait_running(store, "live", first)
        # an on-demand inspection of the same store while the crawl runs
        adhoc = govinspect("inspect", srv.url + "/fast/", "--store", str(store), "--run-id", "adhoc", *FAST,
                           *LINKS_ONLY, "-s", "RENDER_ENABLED=false")
        s = FindingStore(store)
        during = {r["run_id"]: r["status"] for r in s.runs()}
        s.close()
        gate.set()
        out, err = first.communicate(timeout=120)
    assert adhoc.returncode == 0, adhoc.stderr[-3000:]
    assert during["live"] == "running"  # left alone: its process holds its lock
    assert during["killed"] == "interrupted"  # its process is gone
    assert "run live was interrupted" not in adhoc.stderr
    assert first.returncode == 0, err[-3000:]
    s = FindingStore(store)
    runs = {r["run_id"]: r["status"] for r in s.runs()}
    assert runs == {"killed": "interrupted", "live": "finished", "adhoc": "finished"}
    live = s.run_sites("live")[0]
    assert live["completed"] == 1 and live["reason"] == "completed"
    broken = [r for r in s.findings(rule="link.broken") if r["target_url"].endswith("/missing.html")]
    assert broken and broken[0]["status"] == "open"
    s.close()


def test_reused_run_id_is_refused_and_the_old_run_kept(tmp_path):
    store = tmp_path / "s.sqlite3"
    with RouteServer({"/": Route(HOME), "/slow.html": Route(html("ok"))}) as srv:
        registry = write_registry(tmp_path / "r.csv", [
            {"id": "3416000001", "name": "测试", "organizer": "测试办", "url": srv.url + "/"}])
        args = ("crawl", "--registry", str(registry), "--store", str(store), "--run-id", "monthly", *FAST, *LINKS_ONLY)
        assert govinspect(*args).returncode == 0
        s = FindingStore(store)
        before = (s.run("monthly"), s.run_sites("monthly"))
        s.close()
        again = govinspect(*args)
    assert again.returncode == 2
    assert "monthly" in again.stderr and "already exists" in again.stderr
    assert "Traceback" not in again.stderr
    s = FindingStore(store)
    assert (s.run("monthly"), s.run_sites("monthly")) == before
    assert before[0]["status"] == "finished" and before[1][0]["pages"] == 2
    assert json.loads(json.dumps(before[0]["args"]))["sites"] == 1
    s.close()
