"""Running fleet commands as real subprocesses against real Redis and the counting demo proxy."""

from __future__ import annotations

import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import redis

from tests.support.cli import clean_env

REDIS_URL = os.environ.get("GOVINSPECT_TEST_REDIS_URL", "redis://127.0.0.1:6390/3")
AS_OF = "2026-11-20"
# Seeds of the fleet cluster (every inspector runs, as configured by default). Left out: traps (a
# trap's variants are cut by counters, whichever arrive first) and probes/endpoints (probe runs and
# CMS endpoints, not a crawl's pages). "fleet" plants what only shared state finds: one problem image
# shown by every site, a misused emblem in every page header, a site's own error page served with 200.
FLEET_SEEDS = ["encodings", "availability", "identity", "freshness", "links", "ads", "leaks", "archives", "images",
               "hijacked", "injected", "interaction", "coordination", "fleet", "site_marks"]
SETTINGS = [
    "-s", "AUTOTHROTTLE_ENABLED=false", "-s", "DOWNLOAD_DELAY=0", "-s", "PROGRESS_INTERVAL=0",
    "-s", "RENDER_ENABLED=false", "-s", "DOWNLOAD_TIMEOUT=6", "-s", "RETRY_TIMES=1",
    "-s", "FLEET_WORKER_TIMEOUT=4", "-s", "FLEET_HEARTBEAT_SECONDS=0.5",
    "-s", "FLEET_MAX_IN_FLIGHT=8",  # a small cluster: share it out rather than let one worker hoard it
]
HANG_CAP = 9.0  # the demo's hanging URL is held this long: beyond DOWNLOAD_TIMEOUT


_PROBE = re.compile(r"govinspect-[0-9a-f]+/page-that-does-not-exist-[0-9a-f]+\.html")


def gets(server) -> Counter[str]:
    """GETs counted at the server by URL; the error-page probes of link.soft-404 (a URL that cannot
    exist, named after the run id) under one name, so runs with other ids compare."""
    out: Counter[str] = Counter()
    for url, n in server.counts.gets().items():
        out[_PROBE.sub("govinspect-RUN/page-that-does-not-exist-RUN.html", url)] += n
    return out


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


def site_counts(store: Path, run_id: str) -> dict[str, tuple[int, int, int]]:
    """Per site of the run: (pages, errors, blocked) as folded."""
    db = sqlite3.connect(store)
    try:
        return {site: (pages, errors, blocked) for site, pages, errors, blocked in db.execute(
            "SELECT site_id, pages, errors, blocked FROM run_sites WHERE run_id=?", (run_id,))}
    finally:
        db.close()


def redis_client(url: str = REDIS_URL) -> redis.Redis:
    return redis.Redis.from_url(url)
