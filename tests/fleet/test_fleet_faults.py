"""Faults and traps with real processes: a Redis restart mid-run, idle workers, separate machines."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest

from tests.fleet.conftest import seed
from tests.fleet.helpers import (
    AS_OF,
    SETTINGS,
    cli,
    findings,
    fleet_env,
    gets,
    redis_client,
    run_status,
    site_completion,
    start_worker,
    wait_all,
)
from tests.support.cli import LINKS_ONLY, write_registry
from tests.support.server import Route, RouteServer

pytestmark = pytest.mark.slow


def _wait_for(predicate, timeout: float = 120, step: float = 0.05):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(step)
    return False


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class OwnRedis:
    """A redis-server of the test's own on a loopback port, with an append-only file so a restart
    keeps the run (a fleet's Redis must persist: see the README)."""

    def __init__(self, workdir: Path, port: int):
        self.workdir, self.port = workdir, port
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> OwnRedis:
        self.proc = subprocess.Popen(
            [shutil.which("redis-server"), "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.workdir),
             "--appendonly", "yes", "--appendfsync", "always", "--save", "", "--protected-mode", "yes"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        assert _wait_for(self._up, 20), "redis-server did not start"
        return self

    def _up(self) -> bool:
        try:
            return redis_client(self.url).ping()
        except Exception:
            return False

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()  # SIGTERM: redis-server flushes the AOF and exits
            self.proc.wait(timeout=20)
            self.proc = None


@pytest.mark.timeout(600)  # the module's single-process baseline crawl runs within the first test, this one
def test_workers_ride_out_a_redis_restart(baseline, served, tmp_path):
    own = OwnRedis(tmp_path, _free_port()).start()
    try:
        env = fleet_env(served.proxy_url, own.url)
        store = tmp_path / "fleet.sqlite3"
        served.counts.latency = 0.05
        assert seed(baseline.cluster, store, env, "restart").returncode == 0
        workers = [start_worker(store, env, tmp_path / f"w{i}.log") for i in range(2)]
        client = redis_client(own.url)
        assert _wait_for(lambda: sum(int(v) for v in client.hvals("govinspect:fleet:run:restart:done-by")) > 15, 240)
        own.stop()
        time.sleep(2.0)
        assert all(w.poll() is None for w in workers), "a worker gave up while Redis was down"
        own.start()
        codes = wait_all(workers)
    finally:
        served.counts.latency = 0.01
        own.stop()
    logs = [(tmp_path / f"w{i}.log").read_text() for i in range(2)]
    assert codes == [0, 0], [log[-2000:] for log in logs]
    assert run_status(store, "restart") == "finished"
    assert findings(store) == baseline.findings
    assert set(gets(served)) == set(baseline.gets)
    # nothing failed meanwhile (a client that gave up would fold its sites incomplete) and no live
    # worker was taken for dead (the heartbeats stopped for everyone at once)
    assert site_completion(store, "restart") == baseline.completion
    assert not any("silent for" in log or "processing http" in log for log in logs), [log[-3000:] for log in logs]


def test_an_idle_worker_waits_while_another_holds_the_only_page(redis_db, tmp_path):
    """scrapy-redis keeps an idle worker only while its start-URL key has data: here the queue is
    empty while one worker fetches a slow homepage whose 40 links are still to come."""
    links = "".join(f'<a href="/p{i}.html">第{i}页</a>' for i in range(60))
    routes = {"/": Route(f"<html><body>{links}</body></html>".encode(), delay=8.0)}
    routes.update({f"/p{i}.html": Route(b"<html><body>ok</body></html>", delay=0.3) for i in range(60)})
    with RouteServer(routes) as server:
        registry = write_registry(tmp_path / "r.csv", [
            {"id": "3416000099", "name": "慢站", "organizer": "某局", "url": server.url + "/"}])
        env = fleet_env("")
        env.pop("http_proxy")
        store = tmp_path / "s.sqlite3"
        result = cli("seed", "--registry", str(registry), "--store", str(store), "--as-of", AS_OF,
                     "--run-id", "idle", *SETTINGS, env=env)
        assert result.returncode == 0, result.stderr
        workers = [start_worker(store, env, tmp_path / f"w{i}.log", *LINKS_ONLY, "-s", "DOWNLOAD_TIMEOUT=30",
                                "-s", "FLEET_MAX_IN_FLIGHT=2")
                   for i in range(2)]
        keys = "govinspect:fleet:run:idle"
        assert _wait_for(lambda: redis_db.hlen(f"{keys}:workers") == 2 and redis_db.zcard(f"{keys}:requests") == 0)
        time.sleep(3)  # both registered, the queue empty, the homepage in flight at one of them
        assert all(w.poll() is None for w in workers), "a worker quit while another still held work"
        codes = wait_all(workers)
        hits = [path for _, path in server.hits]
    assert codes == [0, 0], [(tmp_path / f"w{i}.log").read_text()[-2000:] for i in range(2)]
    done = {k.decode(): int(v) for k, v in redis_db.hgetall(f"{keys}:done-by").items()}
    assert len(done) == 2 and all(n > 0 for n in done.values()), done
    assert sorted(hits) == sorted(["/"] + [f"/p{i}.html" for i in range(60)])


def test_workers_in_separate_directories_share_only_redis_and_the_database(baseline, served, redis_db, tmp_path):
    """The multi-machine case on one box: each worker has its own working directory (its relative
    paths: caches, default store, screenshots); they share Redis and one findings database (until the
    PostgreSQL store lands, one SQLite file path stands for the shared database)."""
    env = fleet_env(served.proxy_url)
    shared = tmp_path / "db" / "findings.sqlite3"
    shared.parent.mkdir()
    machines = [tmp_path / f"machine{i}" for i in range(2)]
    for m in machines:
        m.mkdir()
    result = cli("seed", "--registry", str(baseline.cluster.registry_path), "--store", str(shared),
                 "--as-of", AS_OF, "--run-id", "machines", *SETTINGS, env=env, cwd=machines[0])
    assert result.returncode == 0, result.stderr
    workers = [start_worker(shared, env, tmp_path / f"w{i}.log", cwd=m) for i, m in enumerate(machines)]
    assert wait_all(workers) == [0, 0], [(tmp_path / f"w{i}.log").read_text()[-2000:] for i in range(2)]
    assert findings(shared) == baseline.findings
    assert run_status(shared, "machines") == "finished"
    listing = json.loads(cli("runs", "--json", env=env, cwd=machines[1]).stdout)
    assert [(r["run_id"], r["status"]) for r in listing] == [("machines", "finished")]
    assert not list(tmp_path.glob("machine*/govinspect-data/*.sqlite3"))
