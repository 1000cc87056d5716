"""The fleet end to end: real ``govinspect seed``/``worker`` processes, real Redis, the counting proxy.

Each test compares with the single-process ``crawl`` of the same cluster (``baseline``): the pages
fetched, counted at the server, and the findings in the store.
"""

from __future__ import annotations

import json
import os
import re
import signal
import time

import pytest

from govinspect.demo.seeds.fleet import GONE, REMOVED, SHARED_FLAG
from govinspect.registry import load_registry
from govinspect.urls import normalize_url
from tests.fleet.conftest import seed
from tests.fleet.helpers import (
    cli,
    findings,
    fleet_env,
    gets,
    run_status,
    site_completion,
    site_counts,
    start_worker,
    wait_all,
)

pytestmark = pytest.mark.slow


def _peaks(baseline, served) -> dict[str, int]:
    """Peak concurrent requests per host, leaving out hosts that hold answers past the client's
    timeout (the server keeps counting a request the client has given up on)."""
    behaviours = json.loads(baseline.cluster.behaviours_path.read_text(encoding="utf-8"))["hosts"]
    slow = {h for h, b in behaviours.items() if any("delay" in p for p in [b.get("all", {}), *b.get("paths", {}).values()])}
    return {h: n for h, n in served.counts.peak.items() if h not in slow}


def _extra_gets(baseline_gets, fleet_gets):
    """URLs the fleet fetched (GET) more often than the single process did."""
    return {url: (baseline_gets.get(url, 0), n) for url, n in fleet_gets.items() if n > baseline_gets.get(url, 0)}


def test_three_workers_fetch_every_page_once_and_find_what_one_process_finds(baseline, served, redis_db, tmp_path):
    env = fleet_env(served.proxy_url)
    store = tmp_path / "fleet.sqlite3"
    result = seed(baseline.cluster, store, env, "three")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "three"
    workers = [start_worker(store, env, tmp_path / f"w{i}.log") for i in range(3)]
    assert wait_all(workers) == [0, 0, 0], [(tmp_path / f"w{i}.log").read_text()[-2000:] for i in range(3)]

    fetched = gets(served)
    extra = _extra_gets(baseline.gets, fetched)
    # on failure: each request for the URL, and what else came on its connection (in full in a file)
    story = {url: [(e, served.counts.on_connection(e[3])) for e in served.counts.requests_for(url)] for url in extra}
    if extra:
        (tmp_path / "duplicates.json").write_text(json.dumps(story, indent=1), encoding="utf-8")
    assert extra == {}, (tmp_path / "duplicates.json", story)
    # seeds go through the duplicate filter: a homepage is fetched once though every page links to it
    homepages = [normalize_url(site.url) for site in load_registry(baseline.cluster.registry_path)]
    once = [url for url in homepages if baseline.gets.get(url) == 1]
    assert len(once) >= 3 and all(fetched[url] == 1 for url in once)
    # the per-host limit held for the three workers together, measured at the server
    assert 0 < max(_peaks(baseline, served).values()) <= 2
    assert all(n == 1 for url, n in fetched.items() if url.endswith(".html") and baseline.gets.get(url) == 1)
    assert set(fetched) == set(baseline.gets)
    assert findings(store) == baseline.findings
    assert run_status(store, "three") == "finished"
    assert site_completion(store, "three") == baseline.completion
    # the workers took part, and each site was folded once, by whichever worker saw it done
    listing = json.loads(cli("runs", "--json", env=env).stdout)
    run = next(r for r in listing if r["run_id"] == "three")
    assert run["status"] == "finished" and run["queued"] == 0
    assert all(site["finalised"] for site in run["sites"])
    logs = "".join((tmp_path / f"w{i}.log").read_text() for i in range(3))
    folded = re.findall(r"site (\d+) finalized", logs)
    assert sorted(folded) == sorted({site["site_id"] for site in run["sites"]})
    done = [int(v) for v in redis_db.hvals("govinspect:fleet:run:three:done-by")]
    assert len(done) >= 2 and sum(n > 0 for n in done) >= 2  # (a worker slow to start may find it done)
    # the finished run's keys expire (FLEET_FINISHED_RUN_KEEP_SECONDS): listed until then, not kept for ever
    for pattern in ("govinspect:fleet:run:three:*", "govinspect:run:three:*"):
        keys = list(redis_db.scan_iter(match=pattern))
        assert keys and all(0 < redis_db.ttl(k) <= 7 * 24 * 3600 for k in keys), pattern


def test_a_killed_worker_loses_nothing(baseline, served, redis_db, tmp_path):
    env = fleet_env(served.proxy_url)
    store = tmp_path / "fleet.sqlite3"
    served.counts.latency = 0.15  # keep requests in flight long enough to kill a worker holding some
    try:
        assert seed(baseline.cluster, store, env, "kill").returncode == 0
        workers = [start_worker(store, env, tmp_path / f"w{i}.log") for i in range(3)]
        victim = workers[0]
        deadline = time.monotonic() + 180
        inflight = 0
        while time.monotonic() < deadline:
            mine = [w.decode() for w in redis_db.hkeys("govinspect:fleet:run:kill:workers")
                    if f":{victim.pid}:" in w.decode()]
            if mine:
                inflight = redis_db.hlen(f"govinspect:fleet:run:kill:inflight:{mine[0]}")
                if inflight and int(redis_db.hget("govinspect:fleet:run:kill:done-by", mine[0]) or 0) >= 2:
                    break
            time.sleep(0.02)
        assert inflight, "the victim never held work"
        os.kill(victim.pid, signal.SIGKILL)
        victim.wait()
        codes = wait_all(workers[1:])
    finally:
        served.counts.latency = 0.01
    assert codes == [0, 0], [(tmp_path / f"w{i}.log").read_text()[-2000:] for i in range(1, 3)]
    requeued = int(redis_db.get("govinspect:fleet:run:kill:requeued") or 0)
    assert requeued >= 1
    assert findings(store) == baseline.findings
    assert run_status(store, "kill") == "finished"
    # complete: every site folded as the single process folds it (none left with work counted but
    # never done, which would fold it incomplete and mark nothing fixed)
    assert site_completion(store, "kill") == baseline.completion
    assert site_counts(store, "kill") == baseline.counts  # redone pages counted once
    assert any(done for done, _ in baseline.completion.values())
    logs = "".join((tmp_path / f"w{i}.log").read_text() for i in range(1, 3))
    assert "lost with a dead worker" not in logs
    # pages fetched twice: only those in flight at the kill
    extra = _extra_gets(baseline.gets, gets(served))
    assert sum(n - b for b, n in extra.values()) <= requeued
    assert set(gets(served)) == set(baseline.gets)


def test_a_run_whose_workers_all_died_is_interrupted_then_resumed(baseline, served, redis_db, tmp_path):
    env = fleet_env(served.proxy_url)
    store = tmp_path / "fleet.sqlite3"
    served.counts.latency = 0.1
    try:
        assert seed(baseline.cluster, store, env, "dead").returncode == 0
        worker = start_worker(store, env, tmp_path / "w0.log")
        deadline = time.monotonic() + 180
        # killed after 10 pages, while it holds requests in flight (taken back below: "silent"); with an
        # empty in-flight hash at the kill there would be nothing to take back
        while time.monotonic() < deadline and not (
                sum(int(v) for v in redis_db.hvals("govinspect:fleet:run:dead:done-by")) >= 10
                and any(redis_db.hlen(key) for key in redis_db.keys("govinspect:fleet:run:dead:inflight:*"))):
            time.sleep(0.02)
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait()
    finally:
        served.counts.latency = 0.01
    time.sleep(5)  # beyond FLEET_WORKER_TIMEOUT: no live worker
    run = json.loads(cli("runs", "--json", "-s", "FLEET_WORKER_TIMEOUT=4", env=env).stdout)[0]
    assert run["status"] == "interrupted" and sum(w["in_flight"] for w in run["workers"]) > 0, run
    assert run_status(store, "dead") == "running"  # nothing folded, nothing marked fixed
    resumed = start_worker(store, env, tmp_path / "w1.log", "--run-id", "dead")
    assert wait_all([resumed]) == [0], (tmp_path / "w1.log").read_text()[-2000:]
    assert "silent" in (tmp_path / "w1.log").read_text()  # the dead worker's pages were taken back
    assert run_status(store, "dead") == "finished"
    assert findings(store) == baseline.findings
    run = json.loads(cli("runs", "--json", env=env).stdout)[0]
    assert run["status"] == "finished"


def test_two_seeds_at_once_one_is_refused_with_exit_3(baseline, served, redis_db, tmp_path):
    import subprocess
    import sys

    env = fleet_env(served.proxy_url)
    args = ["--registry", str(baseline.cluster.registry_path), "--store", str(tmp_path / "s.sqlite3"),
            "--as-of", "2026-11-20"]
    procs = [subprocess.Popen([sys.executable, "-m", "govinspect.cli", "seed", *args, "--run-id", f"seed{i}"],
                              env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for i in range(2)]
    outs = [p.communicate(timeout=120) for p in procs]
    codes = sorted(p.returncode for p in procs)
    assert codes == [0, 3], outs
    winner = next(o for p, o in zip(procs, outs, strict=True) if p.returncode == 0)[0].strip()
    refused = next(o for p, o in zip(procs, outs, strict=True) if p.returncode == 3)[1]
    assert winner in refused and "holds the" in refused and "host" in refused and "started" in refused
    # a third start later is refused too, while the first run has not finished
    third = cli("seed", *args, "--run-id", "later", env=env)
    assert third.returncode == 3 and winner in third.stderr
    listing = json.loads(cli("runs", "--json", env=env).stdout)
    assert [r["run_id"] for r in listing] == [winner]
    assert listing[0]["status"] == "running"


def test_the_single_process_finds_the_fleet_seeds_cases(baseline):
    """The comparisons above mean something only if the baseline finds the shared-state cases: the
    mirrored flag shown on every homepage (each homepage waits for its footer companion before it is
    inspected, so its image is fetched after its links were followed), the soft 404s."""
    manifest = json.loads(baseline.cluster.manifest_path.read_text(encoding="utf-8"))
    wanted = {(e["rule"], e["page_url"], e["target_url"]) for e in manifest["entries"]
              if e["expect"] == "finding" and (e["target_url"] or "").endswith((SHARED_FLAG, REMOVED, GONE))}
    found = {(rule, page, target) for _, rule, _, _, _, page, target in baseline.findings}
    assert len(wanted) >= 6 and wanted <= found, wanted - found
