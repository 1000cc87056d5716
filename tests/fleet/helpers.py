"""Running fleet commands as real subprocesses against real Redis and the counting demo proxy."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import redis

from tests.support.cli import clean_env

REDIS_URL = os.environ.get("GOVINSPECT_TEST_REDIS_URL", "redis://127.0.0.1:6390/3")
AS_OF = "2026-11-20"
# The image and emblem inspectors keep per-process state (images analysed in the process that
# fetched them, homepages held until the site ends): the fleet's shared run state for them is not
# built yet, so fleet-vs-single comparisons run every other inspector.
FLEET_INSPECTORS = (
    'INSPECTORS={"inspectors.links.BrokenLinkInspector": 100, "inspectors.reachability.ReachabilityInspector": 110,'
    ' "inspectors.ads_network.AdNetworkInspector": 200, "inspectors.ads_commercial.AdCommercialInspector": 210,'
    ' "inspectors.hidden_links.HiddenLinkInspector": 220, "inspectors.leaks.LeakInspector": 300,'
    ' "inspectors.archives.ArchiveInspector": 400, "inspectors.identity.IdentityInspector": 800,'
    ' "inspectors.freshness.FreshnessInspector": 810, "inspectors.unregistered.UnregisteredSiteInspector": 820}'
)
# Seeds whose findings need no per-process state (traps: per-process trap counters; images: above).
FLEET_SEEDS = ["encodings", "availability", "identity", "freshness", "links", "ads", "leaks", "archives"]
SETTINGS = [
    "-s", "AUTOTHROTTLE_ENABLED=false", "-s", "DOWNLOAD_DELAY=0", "-s", "PROGRESS_INTERVAL=0",
    "-s", "RENDER_ENABLED=false", "-s", "DOWNLOAD_TIMEOUT=6", "-s", "RETRY_TIMES=1",
    "-s", "FLEET_WORKER_TIMEOUT=4", "-s", "FLEET_HEARTBEAT_SECONDS=0.5", "-s", FLEET_INSPECTORS,
    "-s", "FLEET_MAX_IN_FLIGHT=8",  # a small cluster: share it out rather than let one worker hoard it
]
HANG_CAP = 9.0  # the demo's hanging URL is held this long: beyond DOWNLOAD_TIMEOUT


def fleet_env(proxy: str, redis_url: str = REDIS_URL) -> dict[str, str]:
    return clean_env(http_proxy=proxy, GOVINSPECT_REDIS_URL=redis_url, PYTHONPATH=os.getcwd())


def cli(*args: str, env: dict[str, str], cwd: Path | None = None, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "govinspect.cli", *args], env=env, cwd=cwd, capture_output=True,
                          text=True, timeout=timeout)


def start_worker(store: Path, env: dict[str, str], log: Path, *extra: str, cwd: Path | None = None) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "govinspect.cli", "worker", "--store", str(store), *SETTINGS, *extra],
        env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=log.open("w"),
    )


def wait_all(procs: list[subprocess.Popen], timeout: float = 400) -> list[int]:
    end = time.monotonic() + timeout
    codes = []
    for p in procs:
        try:
            codes.append(p.wait(timeout=max(1, end - time.monotonic())))
        except subprocess.TimeoutExpired:
            p.send_signal(signal.SIGKILL)
            p.wait()
            codes.append(-999)
    return codes


def findings(store: Path) -> set[tuple]:
    db = sqlite3.connect(store)
    try:
        return set(db.execute(
            "SELECT fingerprint, rule, severity, status, occurrences, page_url, target_url FROM findings"
        ).fetchall())
    finally:
        db.close()


def run_status(store: Path, run_id: str) -> str | None:
    db = sqlite3.connect(store)
    try:
        row = db.execute("SELECT status FROM runs WHERE run_id=?", (run_id,)).fetchone()
        return row[0] if row else None
    finally:
        db.close()


def site_completion(store: Path, run_id: str) -> dict[str, tuple[int, str]]:
    """Per site of the run: (completed, reason) as folded."""
    db = sqlite3.connect(store)
    try:
        return {site: (done, reason) for site, done, reason in db.execute(
            "SELECT site_id, completed, reason FROM run_sites WHERE run_id=?", (run_id,))}
    finally:
        db.close()


def redis_client(url: str = REDIS_URL) -> redis.Redis:
    return redis.Redis.from_url(url)
