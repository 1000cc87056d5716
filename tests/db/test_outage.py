"""PostgreSQL unreachable for a while: nothing written is lost, and the run says so.

Each test runs its own throw-away cluster (Debian's binaries, tests/support/pg.py) and really
kills or stops it mid-write, then starts it again.
"""

from __future__ import annotations

import logging
import re
import signal
import subprocess
import sys
import textwrap
import time

import psycopg
import pytest

from govinspect.findings import Observation
from govinspect.registry import Site
from govinspect.store import FindingStore
from tests.support.cli import FAST, LINKS_ONLY, clean_env, write_registry
from tests.support.pg import PgCluster, server_url
from tests.support.server import Route, RouteServer, html

SITE = Site(id="3416000001", name="测试", organizer="测试办", level="portal", url="http://a.gov.cn/")


@pytest.fixture
def cluster():
    server_url()  # PostgreSQL is provisioned for this test run (else skip, saying why)
    c = PgCluster()
    c.start()
    yield c
    c.close()


def _obs(i: int) -> Observation:
    return Observation(rule="ad.commercial", site_id=SITE.id, page_url=f"http://a.gov.cn/p{i}.html", message="商业广告")


def _count(url: str, sql: str = "SELECT COUNT(*) FROM observations") -> int:
    with psycopg.connect(url) as conn:
        try:
            return conn.execute(sql).fetchone()[0]
        except psycopg.errors.UndefinedTable:  # the store has not created its tables yet
            return 0


def test_server_killed_mid_write_loses_nothing(cluster, tmp_path, caplog):
    url = cluster.database()
    spool = tmp_path / "spool"
    store = FindingStore(url, spool_dir=spool, wait_seconds=60, connect_timeout=2)
    store.start_run("r1", "2026-11-27", {}, [SITE])
    caplog.set_level(logging.WARNING)
    for i in range(100):
        store.add_observation("r1", _obs(i), SITE.url)
    cluster.kill()  # SIGKILL of the postmaster and all its backends
    started = time.monotonic()
    for i in range(100, 200):
        store.add_observation("r1", _obs(i), SITE.url)
        time.sleep(0.01)
    buffering_took = time.monotonic() - started
    assert len(store._spool) > 0 and list(spool.iterdir()), "writes were buffered in a spool file"
    cluster.start()
    # The first statement after the outage, even a read, sees every buffered write (replayed first).
    assert store.query("SELECT COUNT(*) AS n FROM observations")[0]["n"] >= 200
    assert len(store._spool) == 0
    for i in range(200, 300):
        store.add_observation("r1", _obs(i), SITE.url)
    counts = store.finalize_site("r1", SITE, True, "done")
    store.end_run("r1", "finished")

    assert buffering_took < 10, f"buffering held the writer up for {buffering_took:.1f} s"
    pages = {r["page_url"] for r in store.query("SELECT page_url FROM observations")}
    assert pages == {f"http://a.gov.cn/p{i}.html" for i in range(300)}
    assert counts["new"] == 300 and len(list(store.findings())) == 300
    outages = store.outages("r1")
    assert len(outages) == 1 and outages[0]["seconds"] > 0.5
    assert 90 <= outages[0]["buffered_observations"] <= 101
    log = caplog.text
    assert "unreachable" in log and "buffering observations" in log
    assert re.search(r"was unreachable for [\d.]+ s .* observations .* buffered and replayed, none lost", log)
    store.close()
    assert list(spool.iterdir()) == [], "the spool is removed once replayed"


def test_server_down_longer_than_a_process_lives(cluster, tmp_path):
    """A process buffers while the server is down and is then killed: the next one replays its spool."""
    url = cluster.database()
    spool = tmp_path / "spool"
    FindingStore(url, spool_dir=spool).start_run("r1", "2026-11-27", {}, [SITE])
    child = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import os, signal, sys
        from govinspect.findings import Observation
        from govinspect.store import FindingStore
        store = FindingStore({url!r}, spool_dir={str(spool)!r}, wait_seconds=5, connect_timeout=2)
        print("ready", flush=True)
        sys.stdin.readline()
        for i in range(50):
            store.add_observation("r1", Observation(rule="ad.commercial", site_id="3416000001",
                page_url=f"http://a.gov.cn/p{{i}}.html", message="商业广告"), "http://a.gov.cn/")
        print("written", flush=True)
        sys.stdin.readline()
        os.kill(os.getpid(), signal.SIGKILL)
    """)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=clean_env())
    assert child.stdout.readline().strip() == "ready"
    cluster.stop("immediate")
    child.stdin.write("go\n")
    child.stdin.flush()
    assert child.stdout.readline().strip() == "written"
    cluster.start()

    # Decoy: the spool of a live process is its own; another store leaves it alone.
    other = FindingStore(url, spool_dir=spool)
    assert _count(url) == 0 and len(list(spool.glob("*.jsonl"))) == 1
    other.close()

    child.stdin.write("die\n")
    child.stdin.flush()
    assert child.wait(30) == -signal.SIGKILL
    assert _count(url) == 0
    store = FindingStore(url, spool_dir=spool)  # replays the dead process's spool
    assert _count(url) == 50 and list(spool.glob("*.jsonl")) == []
    assert store.recover_interrupted() == ["r1"]
    assert len(list(store.findings())) == 50
    store.close()


def test_crawl_with_database_stopped_mid_run(cluster, tmp_path):
    """`govinspect crawl` into PostgreSQL; the server is stopped mid-crawl and started again. Every
    link reference and check made meanwhile arrives (the broken links are all found) and the
    summary says how long the database was unreachable."""
    url = cluster.database()
    pages = 24
    home = html("".join(f'<a href="/p{i}.html">p{i}</a>' for i in range(pages)))
    routes = {"/": Route(home)}
    for i in range(pages):
        routes[f"/p{i}.html"] = Route(html(f'<a href="/gone{i}.html">gone</a>'), delay=0.25)
    with RouteServer(routes) as srv:
        registry = write_registry(tmp_path / "r.csv", [
            {"id": "3416000001", "name": "测试", "organizer": "测试办", "url": srv.url + "/"}])
        crawl = subprocess.Popen(
            [sys.executable, "-m", "govinspect.cli", "crawl", "--registry", str(registry), "--store", url,
             "--run-id", "r1", *FAST, *LINKS_ONLY, "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=1",
             "-s", "STORE_FLUSH_SECONDS=0.2", "-s", f"STORE_SPOOL_DIR={tmp_path / 'spool'}"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=clean_env(), cwd=tmp_path,
        )
        deadline = time.monotonic() + 60
        while _count(url, "SELECT COUNT(*) FROM page_links") == 0:
            assert time.monotonic() < deadline and crawl.poll() is None, "the crawl wrote no links"
            time.sleep(0.1)
        watcher = FindingStore(url, spool_dir=tmp_path / "watcher")
        assert watcher.run_is_live("r1") and watcher.interrupted_runs() == []  # the crawl holds its run
        watcher.close()
        cluster.stop("immediate")
        time.sleep(3)
        assert crawl.poll() is None, "the crawl ended while the database was down: outage not mid-run"
        cluster.start()
        out, err = crawl.communicate(timeout=180)
    assert crawl.returncode == 0, err[-3000:]
    assert re.search(r"Database unreachable \d+ time\(s\), [\d.]+ s in all", out), out
    assert "buffered" in err and "unreachable" in err
    store = FindingStore(url, spool_dir=tmp_path / "spool")
    broken = {r["target_url"].rsplit("/", 1)[-1] for r in store.findings(rule="link.broken")}
    assert broken == {f"gone{i}.html" for i in range(pages)}
    assert store.run_sites("r1")[0]["completed"] == 1, (store.run_sites("r1"), out)
    assert store.outages("r1")[0]["buffered_rows"] > 0
    assert not store.run_is_live("r1")  # its process is gone
    store.close()


def test_fold_waits_for_the_server_and_a_cut_transaction_commits_nothing(cluster, tmp_path):
    import threading

    from govinspect.db import DatabaseUnavailable

    url = cluster.database()
    store = FindingStore(url, spool_dir=tmp_path / "spool", wait_seconds=60, connect_timeout=2)
    store.start_run("r1", "2026-11-27", {}, [SITE])
    store.add_observation("r1", _obs(1), SITE.url)
    store.apply_schema("CREATE TABLE IF NOT EXISTS notes (k TEXT PRIMARY KEY, v TEXT)")
    # The server dies inside a transaction: the caller is told, and nothing of it was committed.
    with pytest.raises(DatabaseUnavailable), store.transaction() as db:
        db.execute("INSERT INTO notes VALUES (?, ?)", ("a", "1"))
        cluster.kill()
        db.execute("INSERT INTO notes VALUES (?, ?)", ("b", "2"))
    # Folding waits for the server (restarted two seconds later) instead of failing the run.
    restart = threading.Timer(2.0, cluster.start)
    restart.start()
    started = time.monotonic()
    counts = store.finalize_site("r1", SITE, True, "done")
    waited = time.monotonic() - started
    restart.join()
    assert counts["new"] == 1 and waited > 1.5
    assert store.query("SELECT COUNT(*) AS n FROM notes") == [{"n": 0}]
    store.close()
