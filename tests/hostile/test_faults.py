"""Items 5 and Low of issue 11: a full disk, a corrupted store and a read-only store.

The full disk is real: a 3 MB tmpfs (we run as root here), or, where mounting is not allowed, a
file-size limit (RLIMIT_FSIZE) on the crawl process, which makes SQLite's writes fail the same way.
"""

from __future__ import annotations

import os
import resource
import sqlite3
import subprocess
import uuid
from pathlib import Path

import pytest

from govinspect.store import FindingStore
from tests.support.cli import FAST, LINKS_ONLY, clean_env, govinspect, write_registry
from tests.support.server import Route, RouteServer, html


@pytest.fixture
def small_disk(tmp_path):
    """A directory on a small file system; yields (dir, limit_fn or None)."""
    mnt = tmp_path / f"disk-{uuid.uuid4().hex[:6]}"
    mnt.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", str(mnt)], capture_output=True)
    if done.returncode == 0:
        try:
            yield mnt, None
        finally:
            subprocess.run(["umount", "-l", str(mnt)], check=False)
        return
    yield mnt, 600_000  # bytes per file for the crawl process


def _site_routes(pages: int = 300, links: int = 60) -> dict[str, Route]:
    routes = {"/": Route(html("".join(f'<a href="/p{i}.html">页{i}</a>' for i in range(pages))))}
    for i in range(pages):
        routes[f"/p{i}.html"] = Route(html("".join(f'<a href="/p{i}/gone{k}-{"x" * 60}.html">坏{k}</a>'
                                                   for k in range(links))))
    return routes


def test_disk_full_stops_the_run_cleanly_and_keeps_what_was_written(tmp_path, small_disk):
    disk, fsize = small_disk
    store = disk / "s.sqlite3"
    FindingStore(store).close()
    if fsize is None:  # leave ~400 KB free
        st = os.statvfs(disk)
        free = st.f_bavail * st.f_frsize
        (disk / "filler").write_bytes(b"\0" * max(0, free - 400_000))

    def limit():
        if fsize:
            resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))

    with RouteServer(_site_routes()) as srv:
        registry = write_registry(tmp_path / "r.csv", [
            {"id": "3416000001", "name": "测试", "organizer": "测试", "url": srv.url + "/"}])
        args = ["crawl", "--registry", str(registry), "--store", str(store), "--run-id", "full-1", *FAST, *LINKS_ONLY,
                "-s", "STORE_BATCH_SIZE=200", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=8"]
        import sys

        result = subprocess.run([sys.executable, "-m", "govinspect.cli", *args], capture_output=True, text=True,
                                timeout=240, env=clean_env(), preexec_fn=limit)
        assert result.returncode == 1, result.stderr[-3000:]
        assert "Traceback" not in result.stderr, result.stderr[-5000:]
        lines = [line for line in result.stderr.splitlines() if line.startswith("govinspect:")]
        assert len(lines) == 1 and "stopped early" in lines[0] and "kept" in lines[0], result.stderr[-2000:]
        # what was written is still there and readable
        db = sqlite3.connect(store)
        assert db.execute("SELECT COUNT(*) FROM page_links WHERE run_id='full-1'").fetchone()[0] > 0
        db.close()
        # with room again, the next run folds the stopped one (nothing marked fixed) and completes
        (disk / "filler").unlink(missing_ok=True)
        small = write_registry(tmp_path / "r2.csv", [
            {"id": "3416000002", "name": "测试2", "organizer": "测试", "url": srv.url + "/p1.html"}])
        again = govinspect("crawl", "--registry", str(small), "--store", str(store), "--run-id", "full-2",
                           *FAST, *LINKS_ONLY, "-s", "MAX_PAGE_DEPTH=0")
    assert again.returncode == 0, again.stderr[-3000:]
    db = sqlite3.connect(store)
    status = dict(db.execute("SELECT run_id, status FROM runs"))
    assert status["full-1"] in ("interrupted", "incomplete") and status["full-2"] == "finished"


def test_corrupted_store_is_one_line(tmp_path):
    store = tmp_path / "s.sqlite3"
    store.write_bytes(b"this is not a database" * 100)
    registry = write_registry(tmp_path / "r.csv", [
        {"id": "3416000001", "name": "测试", "organizer": "测试", "url": "http://127.0.0.1:9/"}])
    for args in (["crawl", "--registry", str(registry)], ["summary"], ["export", "--format", "csv", "--out",
                                                                      str(tmp_path / "x.csv")]):
        result = govinspect(*args, "--store", str(store), *FAST)
        assert result.returncode == 1, result.stderr
        assert "Traceback" not in result.stderr and "Unhandled error" not in result.stderr, result.stderr
        assert "corrupted or not a govinspect store" in result.stderr.strip().splitlines()[-1]


def test_read_only_store_can_be_read(tmp_path):
    with RouteServer({"/": Route(html('<a href="/gone.html">坏</a>'))}) as srv:
        registry = write_registry(tmp_path / "r.csv", [
            {"id": "3416000001", "name": "测试", "organizer": "测试", "url": srv.url + "/"}])
        store = tmp_path / "ro" / "s.sqlite3"
        assert govinspect("crawl", "--registry", str(registry), "--store", str(store), "--run-id", "r1",
                          *FAST, *LINKS_ONLY).returncode == 0
    # a read-only file system (a bind mount remounted ro); the WAL files are gone after a clean close
    ro = tmp_path / "ro-mount"
    ro.mkdir()
    if subprocess.run(["mount", "--bind", str(store.parent), str(ro)], capture_output=True).returncode != 0:
        pytest.skip("cannot bind-mount here (not root): read-only file system not reproducible")
    try:
        subprocess.run(["mount", "-o", "remount,bind,ro", str(ro)], check=True)
        with pytest.raises(OSError):
            (ro / "probe").write_text("x")
        summary = govinspect("summary", "--store", str(ro / "s.sqlite3"))
        export = govinspect("export", "--format", "jsonl", "--out", str(tmp_path / "f.jsonl"),
                            "--store", str(ro / "s.sqlite3"))
    finally:
        subprocess.run(["umount", "-l", str(ro)], check=False)
    assert summary.returncode == 0 and "r1" in summary.stdout, summary.stderr
    assert export.returncode == 0 and "gone.html" in (tmp_path / "f.jsonl").read_text(), export.stderr


def test_unreadable_store_path_is_one_line(tmp_path):
    result = govinspect("summary", "--store", str(tmp_path / "missing.sqlite3"))
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert Path(tmp_path / "missing.sqlite3").exists() is False
