"""Fleet run records in Redis: creating a run (the seed), the seed lock, and what ``govinspect runs`` shows.

A run's status is ``running`` while its lock is held or a worker heartbeats for it, ``finished`` once
every site was folded (by the run state's finaliser, in whichever worker), and ``interrupted`` when
every worker stopped with work left: such a run is resumable (``govinspect worker --run-id ID``)
and, until it finishes, marks nothing fixed.
"""

from __future__ import annotations

import json
import re
import socket
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

from scrapy import Request
from scrapy_redis import picklecompat
from scrapy_redis.dupefilter import RFPDupeFilter

from crawler.fleet.keys import LOCK, RUNS, RunKeys
from crawler.fleet.queue import member
from crawler.fleet.scheduler import SEED_META
from crawler.traps import strip_session_ids
from govinspect.registry import Registry, Site
from govinspect.runstate.redis import expire_matching

RUN_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,99}$")
SEED_PRIORITY = 100


class LockHeld(Exception):
    """Another run holds the fleet lock; ``info`` names it (run id, host, start time)."""

    def __init__(self, info: dict[str, Any]):
        self.info = info
        started = info.get("started")
        when = datetime.fromtimestamp(started, UTC).isoformat(timespec="seconds") if started else "?"
        super().__init__(f"not started: run {info.get('run_id')} on host {info.get('host')}, started {when} "
                         f"holds the fleet lock")


_REFRESH = """
local v = redis.call('GET', KEYS[1])
if not v then return 0 end
if cjson.decode(v)['run_id'] ~= ARGV[1] then return 0 end
redis.call('EXPIRE', KEYS[1], ARGV[2])
return 1
"""
_RELEASE = """
local v = redis.call('GET', KEYS[1])
if v and cjson.decode(v)['run_id'] == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


def server_time(server) -> float:
    sec, usec = server.time()
    return sec + usec / 1e6


def lock_info(server) -> dict[str, Any] | None:
    raw = server.get(LOCK)
    return json.loads(raw) if raw else None


def take_lock(server, run_id: str, ttl: int) -> None:
    info = {"run_id": run_id, "host": socket.gethostname(), "started": server_time(server)}
    if not server.set(LOCK, json.dumps(info), nx=True, ex=ttl):
        raise LockHeld(lock_info(server) or {"run_id": "?"})


def refresh_lock(server, run_id: str, ttl: int) -> bool:
    return bool(server.eval(_REFRESH, 1, LOCK, run_id, ttl))


def release_lock(server, run_id: str) -> bool:
    return bool(server.eval(_RELEASE, 1, LOCK, run_id))


def _site_dict(site: Site) -> dict[str, Any]:
    d = asdict(site)
    d["archive_paths"] = list(site.archive_paths)
    d["extra_hosts"] = list(site.extra_hosts)
    return d


def registry_from_json(raw: str | bytes) -> Registry:
    sites = []
    for d in json.loads(raw):
        d["archive_paths"] = tuple(d.get("archive_paths") or ())
        d["extra_hosts"] = tuple(d.get("extra_hosts") or ())
        sites.append(Site(**d))
    return Registry(sites)


def seed_run(server, registry: Registry, run_id: str, as_of: str, max_pages: int | None, lock_ttl: int) -> int:
    """Create the run, take the lock, queue one seed per site; returns the number of sites queued."""
    create_run(server, registry, run_id, as_of, max_pages, lock_ttl)
    return queue_seeds(server, registry, run_id)


def create_run(server, registry: Registry, run_id: str, as_of: str, max_pages: int | None, lock_ttl: int) -> None:
    """Take the fleet lock (:class:`LockHeld` when another run holds it) and record the run."""
    if not RUN_ID.match(run_id):
        raise ValueError(f"run id {run_id!r}: letters, digits and _ . : - only")
    keys = RunKeys(run_id)
    if server.exists(keys.meta):
        raise ValueError(f"run {run_id} exists already (resume it with: govinspect worker --run-id {run_id})")
    mark_abandoned(server)
    take_lock(server, run_id, lock_ttl)
    now = server_time(server)
    server.hset(keys.meta, mapping={
        "registry": json.dumps([_site_dict(s) for s in registry], ensure_ascii=False),
        "as_of": as_of, "max_pages": max_pages or 0, "status": "running", "created": now,
        "host": socket.gethostname(), "sites": len(registry),
    })


def queue_seeds(server, registry: Registry, run_id: str) -> int:
    """One seed request per site, with the homepage's fingerprint recorded; the run becomes listed."""
    keys = RunKeys(run_id)
    now = float(run_meta(server, run_id)["created"])
    dupefilter = RFPDupeFilter(server, key=keys.dupefilter)
    pipe = server.pipeline(transaction=True)
    for site in registry:
        url = strip_session_ids(site.url)
        # The homepage's fingerprint, as the worker's page request will have it: links back to the
        # homepage are filtered like any page seen before.
        dupefilter.request_seen(Request(url))
        seed = Request(url, priority=SEED_PRIORITY, meta={SEED_META: site.id})
        pipe.execute_command("ZADD", keys.queue, -SEED_PRIORITY, member(seed, picklecompat.dumps(seed.to_dict())))
    pipe.zadd(RUNS, {run_id: now})
    pipe.execute()
    return len(registry)


def expire_run(server, run_id: str, seconds: int) -> int:
    """A finished run's fleet keys (queue, fingerprints, in-flight, workers, meta) expire ``seconds``
    from now; it then drops out of the listing. Returns how many keys."""
    return expire_matching(server, f"{RunKeys(run_id).base}:*", seconds)


def listed_runs(server) -> list[tuple[str, dict[str, str]]]:
    """The listed runs with their meta, oldest first; runs whose keys expired leave the list."""
    out, gone = [], []
    for raw in server.zrange(RUNS, 0, -1):
        run_id = raw.decode()
        meta = run_meta(server, run_id)
        if meta:
            out.append((run_id, meta))
        else:
            gone.append(run_id)
    if gone:
        server.zrem(RUNS, *gone)
    return out


def run_meta(server, run_id: str) -> dict[str, str] | None:
    raw = server.hgetall(RunKeys(run_id).meta)
    return {k.decode(): v.decode() for k, v in raw.items()} if raw else None


def set_status(server, run_id: str, status: str) -> None:
    server.hset(RunKeys(run_id).meta, "status", status)


def live_workers(server, keys: RunKeys, timeout: float) -> dict[str, float]:
    """Workers whose last heartbeat (Redis time) is younger than ``timeout``: worker -> age in s."""
    now = server_time(server)
    ages = {k.decode(): now - float(v) for k, v in server.hgetall(keys.seen).items()}
    return {w: age for w, age in ages.items() if age <= timeout}


def has_work(server, keys: RunKeys) -> bool:
    if server.zcard(keys.queue):
        return True
    return any(server.hlen(keys.inflight(w.decode())) for w in server.hkeys(keys.workers))


def status_of(server, run_id: str, meta: dict[str, str], timeout: float) -> str:
    """finished; running (a worker heartbeats, or it is seeded and holds the lock, waiting for its
    first worker); else interrupted: every worker that took part stopped with work left."""
    if meta.get("status") == "finished":
        return "finished"
    keys = RunKeys(run_id)
    if live_workers(server, keys, timeout):
        return "running"
    if meta.get("status") == "interrupted":
        return "interrupted"
    started = server.exists(keys.done_by) or server.exists(keys.seen)
    lock = lock_info(server)
    if not started and lock and lock.get("run_id") == run_id:
        return "running"
    return "interrupted"


def mark_abandoned(server, timeout: float = 0) -> list[str]:
    """Runs left running without lock or live workers become ``interrupted`` (resumable)."""
    marked = []
    for run_id, meta in listed_runs(server):
        if meta.get("status") == "running" and status_of(server, run_id, meta, timeout) == "interrupted":
            set_status(server, run_id, "interrupted")
            marked.append(run_id)
    return marked


def pick_run(server, timeout: float) -> str | None:
    """The oldest run that is not finished and still has work (a resumable one included)."""
    for run_id, meta in listed_runs(server):
        if meta.get("status") != "finished" and has_work(server, RunKeys(run_id)):
            return run_id
    return None


def describe_runs(server, timeout: float, progress_of=None) -> list[dict[str, Any]]:
    """Every run; ``progress_of(run_id)`` gives its per-site progress (the run state's SiteProgress)."""
    out = []
    now = server_time(server)
    for run_id, meta in listed_runs(server):
        keys = RunKeys(run_id)
        registry = registry_from_json(meta["registry"])
        progress = (progress_of(run_id) if progress_of else None) or {}
        sites = []
        for site in registry:
            t = progress.get(site.id)
            sites.append({"site_id": site.id, "pages": t.pages if t else 0, "errors": t.errors if t else 0,
                          "blocked": t.blocked if t else 0, "pending": t.pending if t else None,
                          "homepage_ok": bool(t and t.homepage_ok), "finalised": bool(t and t.finalised),
                          "budget_exhausted": bool(t and t.budget_exhausted)})
        seen = {k.decode(): float(v) for k, v in server.hgetall(keys.seen).items()}
        done_by = {k.decode(): int(v) for k, v in server.hgetall(keys.done_by).items()}
        workers = []
        for w in sorted(set(seen) | {k.decode() for k in server.hkeys(keys.workers)}):
            workers.append({"worker": w, "in_flight": int(server.hlen(keys.inflight(w))),
                            "last_seen_s": round(now - seen[w], 1) if w in seen else None,
                            "requests_done": done_by.get(w, 0)})
        out.append({
            "run_id": run_id, "status": status_of(server, run_id, meta, timeout),
            "created": float(meta.get("created", 0)), "as_of": meta.get("as_of"), "host": meta.get("host"),
            "queued": int(server.zcard(keys.queue)), "requeued": int(server.get(keys.requeued) or 0),
            "requests_done": sum(done_by.values()), "sites": sites, "workers": workers,
        })
    return out
