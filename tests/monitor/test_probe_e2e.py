"""`govinspect probe` against loopback homepages that fail a known share of requests, then a crawl:
site.availability-low fires at 3 % (high) and 5 % (critical), not at 2 %; proxies are honoured."""

from __future__ import annotations

import json
import sqlite3
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.support.cli import FAST, clean_env, govinspect, write_registry

HOME = ("<html><head><title>{name}</title></head><body><h1>{name}</h1>"
        "<ul><li><a href='/a.html'>要闻</a></li></ul><p>" + "政务公开 " * 40 + "</p></body></html>")
MAINTENANCE = "<html><head><title>系统维护中</title></head><body><p>系统维护中，请稍后访问</p></body></html>"
ROUNDS = 99  # + the crawl's own homepage fetch = 100 probes a site


class FlakyHandler(BaseHTTPRequestHandler):
    """The homepage fails on the listed request numbers (1-based): 503, or a 200 maintenance page."""

    protocol_version = "HTTP/1.1"

    def log_message(self, *args):  # quiet
        pass

    def do_GET(self):  # noqa: N802
        server = self.server
        if self.path.endswith("/") and self.path.count("/") == 1:
            with server.lock:
                server.count += 1
                n = server.count
            if n in server.fail_503:
                return self._send(503, b"<html><body><h1>503</h1></body></html>")
            if n in server.fail_maintenance:
                return self._send(200, MAINTENANCE.encode())
            return self._send(200, HOME.format(name=server.name).encode())
        self._send(200, HOME.format(name=server.name).encode())

    def _send(self, status, body):
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def _server(name, fail_503=(), fail_maintenance=()):
    server = ThreadingHTTPServer(("127.0.0.1", 0), FlakyHandler)
    server.daemon_threads = True
    server.name, server.count, server.lock = name, 0, threading.Lock()
    server.fail_503, server.fail_maintenance = set(fail_503), set(fail_maintenance)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.fixture(scope="module")
def probed(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("probe")
    servers = {
        "3416000101": _server("三个百分点", fail_503=(10, 40), fail_maintenance=(70,)),  # 3/100: high
        "3416000102": _server("五个百分点", fail_503=(5, 20, 35, 50, 65)),  # 5/100: critical
        "3416000103": _server("两个百分点", fail_503=(30, 60)),  # 2/100: no finding
    }
    registry = write_registry(tmp / "registry.csv", [
        {"id": sid, "name": s.name, "organizer": s.name, "url": f"http://127.0.0.1:{s.server_address[1]}/"}
        for sid, s in servers.items()])
    store = tmp / "store.sqlite3"
    env = clean_env(no_proxy="127.0.0.1")
    probe = govinspect("probe", "--registry", str(registry), "--count", str(ROUNDS), "--interval", "0.15",
                       "--store", str(store), env=env, timeout=240)
    assert probe.returncode == 0, probe.stderr[-2000:]
    only = ["-s", 'INSPECTORS={"inspectors.availability.AvailabilityInspector": 120}']
    crawl = govinspect("crawl", "--registry", str(registry), "--store", str(store), "--run-id", "avail-1",
                       "--max-pages", "3", *FAST, *only, env=env, timeout=240)
    assert crawl.returncode == 0, crawl.stderr[-2000:]
    yield servers, store, probe, crawl
    for s in servers.values():
        s.shutdown()


def test_each_probe_is_stored(probed):
    servers, store, probe, _ = probed
    db = sqlite3.connect(store)
    rows = db.execute("SELECT site_id, source, COUNT(*), SUM(1-ok), MIN(latency_ms) FROM probes"
                      " GROUP BY site_id, source ORDER BY site_id, source").fetchall()
    assert [(r[0], r[1], r[2]) for r in rows] == [
        (sid, src, n) for sid in servers for src, n in (("crawl", 1), ("probe", ROUNDS))]
    failed = {r[0]: r[3] for r in rows if r[1] == "probe"}
    assert failed == {"3416000101": 3, "3416000102": 5, "3416000103": 2}
    assert all(r[4] is not None and r[4] >= 0 for r in rows)  # the crawl's own fetch has its latency too
    outcomes = {r[0] for r in db.execute("SELECT outcome FROM probes WHERE ok=0")}
    assert outcomes == {"http-503", "maintenance"}
    assert "available" in probe.stdout


def test_rule_fires_at_three_and_five_percent(probed):
    _, store, _, crawl = probed
    db = sqlite3.connect(store)
    found = {r[0]: (r[1], json.loads(r[2])) for r in db.execute(
        "SELECT site_id, severity, evidence FROM findings WHERE rule='site.availability-low'")}
    assert {k: v[0] for k, v in found.items()} == {"3416000101": "high", "3416000102": "critical"}
    ev = found["3416000101"][1]
    assert (ev["probes"], ev["failed"], ev["failure_rate"]) == (100, 3, 0.03)
    assert ev["below_expected"] is False or ev["probes_per_day"] < 20
    assert ev["sources"] == {"probe": 99, "crawl": 1}
    assert "Availability" in crawl.stdout


def test_probes_go_through_the_proxy(tmp_path, store_target):
    """http_proxy is honoured: a registered host that exists only behind the loopback proxy answers."""
    from govinspect.demo.server import ClusterServer

    root = tmp_path / "cluster"
    (root / "hosts" / "www.proxied.gov.cn").mkdir(parents=True)
    (root / "hosts" / "www.proxied.gov.cn" / "index.html").write_text(HOME.format(name="代理"), encoding="utf-8")
    registry = write_registry(tmp_path / "r.csv", [
        {"id": "3416000199", "name": "代理", "organizer": "代理", "url": "http://www.proxied.gov.cn/"}])
    with ClusterServer(root) as server:
        result = govinspect("probe", "--registry", str(registry), "--count", "2", "--interval", "0",
                            "--store", store_target, env=clean_env(http_proxy=server.proxy_url))
    assert result.returncode == 0, result.stderr
    from govinspect.store import FindingStore

    store = FindingStore(store_target)  # SQLite or PostgreSQL
    assert [(r["ok"], r["status"]) for r in store.query("SELECT ok, status FROM probes")] == [(1, 200), (1, 200)]
    store.close()


def test_a_second_prober_is_refused(tmp_path):
    """One probe process per store: a second exits 3 and names the holder (govinspect/locks.py)."""
    import subprocess
    import sys

    registry = write_registry(tmp_path / "r.csv", [
        {"id": "3416000199", "name": "x", "organizer": "x", "url": "http://127.0.0.1:9/"}])
    store = str(tmp_path / "s.sqlite3")
    first = subprocess.Popen([sys.executable, "-m", "govinspect.cli", "probe", "--registry", str(registry),
                              "--store", store, "--interval", "60"], env=clean_env(), stderr=subprocess.PIPE)
    try:
        line = first.stderr.readline().decode()  # its first round is done: it holds the lock
        assert "probe round 1" in line, line
        second = govinspect("probe", "--registry", str(registry), "--store", store, "--count", "1")
        assert second.returncode == 3 and "probe-" in second.stderr, second.stderr
    finally:
        first.terminate()
        first.wait(timeout=30)


def test_bad_count_is_bad_input(tmp_path):
    registry = write_registry(tmp_path / "r.csv", [
        {"id": "3416000199", "name": "x", "organizer": "x", "url": "http://127.0.0.1:9/"}])
    result = govinspect("probe", "--registry", str(registry), "--count", "0", "--store", str(tmp_path / "s"))
    assert result.returncode == 2
