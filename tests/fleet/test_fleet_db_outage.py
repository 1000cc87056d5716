"""A worker killed while the database is unreachable loses nothing.

During the outage a worker keeps its rows in a local outage buffer and its work markers in memory.
Its machine may be gone for good after the kill (the buffer with it): so the requests behind those
markers are not acknowledged until the markers are announced, and the others do them again. Real
PostgreSQL (a throw-away cluster of Debian's binaries), real Redis, real worker processes.
"""

from __future__ import annotations

import os
import signal
import time

import psycopg
import pytest

from govinspect.store import FindingStore
from tests.fleet.helpers import REDIS_URL, start_worker, wait_all
from tests.support.cli import LINKS_ONLY, clean_env, govinspect, write_registry
from tests.support.pg import PgCluster, server_url
from tests.support.server import Route, RouteServer, html

pytestmark = pytest.mark.slow
PAGES = 24
SETTINGS = ["-s", "CONCURRENT_REQUESTS_PER_DOMAIN=1", "-s", "FLEET_LEASE_SECONDS=5", "-s", "STORE_FLUSH_SECONDS=0.2",
            "-s", 'NETWORK_ALLOW=["127.0.0.0/8"]', *LINKS_ONLY]


def _count(url: str) -> int:
    try:
        with psycopg.connect(url, connect_timeout=2) as conn:
            return conn.execute("SELECT COUNT(*) FROM page_links").fetchone()[0]
    except (psycopg.errors.UndefinedTable, psycopg.OperationalError):
        return 0


@pytest.mark.timeout(600)
def test_a_worker_killed_during_a_database_outage_loses_nothing(redis_db, tmp_path):
    server_url()  # PostgreSQL is provisioned for this test run
    cluster = PgCluster()
    cluster.start()
    workers = []
    try:
        url = cluster.database()
        routes = {"/": Route(html("".join(f'<a href="/p{i}.html">p{i}</a>' for i in range(PAGES))))}
        for i in range(PAGES):
            routes[f"/p{i}.html"] = Route(html(f'<a href="/gone{i}.html">gone</a>'), delay=0.25)
        with RouteServer(routes) as srv:
            registry = write_registry(tmp_path / "r.csv", [
                {"id": "3416000001", "name": "测试", "organizer": "测试办", "url": srv.url + "/"}])
            env = clean_env(GOVINSPECT_REDIS_URL=REDIS_URL, PYTHONPATH=os.getcwd())
            seeded = govinspect("seed", "--registry", str(registry), "--store", url, "--run-id", "outage",
                                *SETTINGS, env=env, cwd=tmp_path)
            assert seeded.returncode == 0, seeded.stderr[-2000:]
            assert redis_db.zcard("govinspect:fleet:run:outage:requests") == 1, (seeded.stdout, seeded.stderr[-3000:])
            (tmp_path / "a").mkdir(), (tmp_path / "b").mkdir()
            first = start_worker(url, env, tmp_path / "a.log", *SETTINGS, "-s", "STORE_SPOOL_DIR=spool",
                                 cwd=tmp_path / "a")
            workers.append(first)
            deadline = time.monotonic() + 90
            while _count(url) < 3:
                assert time.monotonic() < deadline and first.poll() is None, (tmp_path / "a.log").read_text()[-2000:]
                time.sleep(0.1)
            cluster.stop("immediate")
            deadline = time.monotonic() + 60
            while "buffering" not in (tmp_path / "a.log").read_text():
                assert time.monotonic() < deadline and first.poll() is None, (tmp_path / "a.log").read_text()[-2000:]
                time.sleep(0.1)
            time.sleep(1.5)  # a few more pages done while the database is away
            first.send_signal(signal.SIGKILL)  # its machine is gone, outage buffer and all
            first.wait()
            assert list((tmp_path / "a" / "spool").glob("*.jsonl")), "the worker buffered nothing"
            cluster.start()
            second = start_worker(url, env, tmp_path / "b.log", *SETTINGS, "-s", "STORE_SPOOL_DIR=spool",
                                  cwd=tmp_path / "b")
            workers.append(second)
            assert wait_all([second], timeout=300) == [0], (tmp_path / "b.log").read_text()[-3000:]
        store = FindingStore(url, spool_dir=tmp_path / "b" / "spool")
        try:
            broken = {r["target_url"].rsplit("/", 1)[-1] for r in store.findings(rule="link.broken")}
            assert broken == {f"gone{i}.html" for i in range(PAGES)}
            assert [r["completed"] for r in store.run_sites("outage")] == [1]
            assert {r["run_id"]: r["status"] for r in store.runs()}["outage"] == "finished"
        finally:
            store.close()
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
                worker.wait()
        cluster.close()

