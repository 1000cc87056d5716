"""Run locks, file (one machine) and Redis (a fleet): one run of a kind at a time, stale locks taken over,
and a run's liveness as recovery sees it."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time

import pytest

from govinspect.config import build_settings
from govinspect.locks import Holder, LockHeld, kind_lock_path, run_alive, run_lock
from tests.support.redis import drop_prefix, redis_url, unique_prefix


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


@pytest.fixture(params=["file", "redis"])
def settings(request, tmp_path):
    extra = {"GOVINSPECT_STORE": str(tmp_path / "s.sqlite3")}
    if request.param == "redis":
        url, prefix = redis_url(), unique_prefix()
        extra.update(RUN_STATE_BACKEND="redis", REDIS_URL=url, REDIS_KEY_PREFIX=prefix, RUN_LOCK_TTL=1.0,
                     RUN_LOCK_HEARTBEAT=0.2)
        yield build_settings(extra=extra)
        drop_prefix(url, prefix)
        return
    yield build_settings(extra=extra)


def test_second_start_is_refused_naming_the_holder(settings):
    with run_lock(settings, "first", kind="crawl") as holder:
        assert holder.pid == os.getpid() and holder.host == socket.gethostname()
        with pytest.raises(LockHeld) as refused:
            with run_lock(settings, "second", kind="crawl"):
                pass
        message = str(refused.value)
        assert refused.value.holder == holder
        for part in ("run first", f"host {holder.host}", f"pid {holder.pid}", holder.started_at):
            assert part in message
        # another kind, and on-demand runs (no kind), are not held off
        with run_lock(settings, "probe-1", kind="probe"), run_lock(settings, "adhoc", kind=None):
            pass
    with run_lock(settings, "second", kind="crawl"):  # released: free again
        pass


def test_run_alive_while_its_lock_is_held(settings):
    me = {"run_id": "first", "args": {"host": socket.gethostname(), "pid": os.getpid()}}
    with run_lock(settings, "first", kind=None):
        assert run_alive(settings, me)
    dead = {"run_id": "first", "args": {"host": socket.gethostname(), "pid": _dead_pid()}}
    assert not run_alive(settings, dead)
    assert not run_alive(settings, {"run_id": "old", "args": {"sites": 1}})  # before runs named their holder


def test_lock_outlives_its_ttl_while_the_heartbeat_runs(settings):
    if settings.get("RUN_STATE_BACKEND") != "redis":
        pytest.skip("file locks have no expiry: the kernel drops them with their process")
    with run_lock(settings, "first", kind="crawl"):
        time.sleep(2.5)  # RUN_LOCK_TTL is 1 s
        with pytest.raises(LockHeld):
            with run_lock(settings, "second", kind="crawl"):
                pass


def test_stale_lock_of_a_dead_process_is_taken_over(settings):
    stale = Holder("crashed", "crawl", socket.gethostname(), _dead_pid(), "2026-11-30T02:00:00+08:00")
    if settings.get("RUN_STATE_BACKEND") == "redis":
        import redis

        client = redis.Redis.from_url(settings.get("REDIS_URL"))
        client.set(f"{settings.get('REDIS_KEY_PREFIX')}:lock:crawl", stale.dumps(), px=60_000)
        # a live holder on another host is not taken over before its key expires
        elsewhere = Holder("remote", "crawl", "other-host", 1, "2026-11-30T02:00:00+08:00")
        client.set(f"{settings.get('REDIS_KEY_PREFIX')}:lock:probe", elsewhere.dumps(), px=60_000)
        with pytest.raises(LockHeld, match="run remote on host other-host"):
            with run_lock(settings, "p", kind="probe"):
                pass
    else:
        path = kind_lock_path(settings, "crawl")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(stale.dumps())  # left behind by a process killed with -9 (no flock held)
    with run_lock(settings, "next", kind="crawl") as holder:
        assert holder.run_id == "next"
        if settings.get("RUN_STATE_BACKEND") != "redis":
            assert json.loads(kind_lock_path(settings, "crawl").read_text())["run_id"] == "next"


def test_run_alive_while_any_member_holds_it(settings):
    """Fleet workers of one run each hold a member lock; the run is alive while one of them lives."""
    run = {"run_id": "fleet-1", "args": {"host": "seeding-host", "pid": 1}}
    with run_lock(settings, "fleet-1", kind=None, member="w1"):
        with run_lock(settings, "fleet-1", kind=None, member="w2"):
            assert run_alive(settings, run)
        assert run_alive(settings, run)
        assert not run_alive(settings, {"run_id": "fleet-1.other", "args": {"host": socket.gethostname(),
                                                                             "pid": _dead_pid()}})
    assert not run_alive(settings, {"run_id": "fleet-1", "args": {"host": socket.gethostname(), "pid": _dead_pid()}})
