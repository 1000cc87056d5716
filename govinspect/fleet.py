"""The fleet verbs: ``seed`` a run into Redis, ``worker`` processes that crawl it, ``runs`` to watch them.

One Redis (``GOVINSPECT_REDIS_URL``) holds the runs; workers on any number of machines share it and
the findings database. The single-process ``crawl`` never touches Redis.
"""

from __future__ import annotations

import functools
import json
import os
import secrets
import socket
import subprocess
import sys
import time
from datetime import date
from typing import TextIO

from redis.exceptions import RedisError
from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings

from crawler.fleet.connection import client_from_settings
from crawler.fleet.runs import (
    LockHeld,
    create_run,
    describe_runs,
    expire_run,
    pick_run,
    queue_seeds,
    release_lock,
    run_meta,
    set_status,
)
from crawler.traps import strip_session_ids
from govinspect import locks
from govinspect.registry import Registry
from govinspect.urls import normalize_url

EXIT_LOCKED = 3


def new_worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(2)}"


def shared_state(settings: Settings) -> Settings:
    """The fleet keeps its run state in Redis (govinspect/runstate): any worker may do any request.

    Its clients (run state, run locks) retry as long as the fleet's own (``FLEET_REDIS_RETRY_SECONDS``):
    a Redis restart that the queue rides out must not fail a page's claims or counts meanwhile.
    """
    s = settings.copy()
    s.set("RUN_STATE_BACKEND", "redis", priority="cmdline")
    s.set("REDIS_RETRIES", max(s.getint("REDIS_RETRIES"), redis_retries_for(s.getfloat("FLEET_REDIS_RETRY_SECONDS"))),
          priority="cmdline")
    return s


def redis_retries_for(seconds: float) -> int:
    """Retries of the run-state client (govinspect/runstate/redis.py) that wait at least ``seconds`` in all."""
    from govinspect.runstate.redis import retry_window

    retries = 0
    while retry_window(retries) < seconds:
        retries += 1
    return retries


def fleet_settings(settings: Settings, run_id: str, worker_id: str) -> Settings:
    """The worker's settings: scrapy-redis scheduling, fleet politeness, acknowledgements."""
    s = shared_state(settings)
    concurrency = s.get("FLEET_HOST_CONCURRENCY") or s.getint("CONCURRENT_REQUESTS_PER_DOMAIN")
    delay = s.get("FLEET_HOST_DELAY")
    delay = s.getfloat("DOWNLOAD_DELAY") if delay in (None, "") else float(delay)
    pipelines = {**s.getdict("ITEM_PIPELINES"), "crawler.fleet.ack.AckPipeline": 1}  # first: not items
    extensions = {**s.getdict("EXTENSIONS"), "crawler.fleet.extension.FleetWorker": 400}
    middlewares = {**s.getdict("DOWNLOADER_MIDDLEWARES"), "crawler.fleet.politeness.FleetPolitenessMiddleware": 990}
    s.update({
        "FLEET_RUN_ID": run_id, "FLEET_WORKER_ID": worker_id,
        "FLEET_HOST_CONCURRENCY": int(concurrency), "FLEET_HOST_DELAY": delay,
        # the fleet's per-host delay (politeness middleware) replaces the per-process one
        "DOWNLOAD_DELAY": 0, "AUTOTHROTTLE_ENABLED": False,
        "SCHEDULER": "crawler.fleet.scheduler.AckScheduler",
        "DUPEFILTER_CLASS": "scrapy_redis.dupefilter.RFPDupeFilter",
        "SCHEDULER_PERSIST": True,
        "ITEM_PIPELINES": pipelines, "EXTENSIONS": extensions, "DOWNLOADER_MIDDLEWARES": middlewares,
    }, priority="cmdline")
    return s


def _redis_errors(func):
    """A Redis that stays unreachable beyond the client's retries: one line and exit 1, no traceback."""

    @functools.wraps(func)
    def wrapper(settings: Settings, *args, **kwargs) -> int:
        try:
            return func(settings, *args, **kwargs)
        except RedisError as exc:
            print(f"govinspect: Redis at {settings.get('REDIS_URL')}: {exc}", file=sys.stderr)
            return 1

    return wrapper


@_redis_errors
def seed(settings: Settings, registry: Registry, as_of: date, run_id: str | None, max_pages: int | None,
         out: TextIO = sys.stdout, err: TextIO = sys.stderr) -> int:
    from govinspect.api import new_run_id, open_run

    server = client_from_settings(settings)
    s = shared_state(settings)
    run_id = run_id or new_run_id()
    try:
        # the crawl lock only while seeding (a local crawl of the same store must not start meanwhile);
        # the fleet lock for the whole run (refreshed by the workers' heartbeats)
        with locks.run_lock(s, run_id, kind="crawl") as holder:
            create_run(server, registry, run_id, as_of.isoformat(), max_pages, settings.getint("FLEET_LOCK_SECONDS"))
            try:
                # the store's run record, the run state with the sites' budgets and the run's facts
                state = open_run(registry, s, as_of, run_id, max_pages, holder, owner=False).state
                try:
                    for site in registry:  # the homepages are claimed and counted here, once, not by workers
                        state.claim_page(site.id, normalize_url(strip_session_ids(site.url)))
                        state.add_pending(site.id)
                finally:
                    state.close()
                n = queue_seeds(server, registry, run_id)
            except BaseException:
                release_lock(server, run_id)
                raise
    except (LockHeld, locks.LockHeld) as exc:
        print(f"govinspect: {exc}", file=err)
        return EXIT_LOCKED
    print(f"seeded {n} sites", file=err)
    print(run_id, file=out)
    return 0


@_redis_errors
def worker(settings: Settings, run_id: str | None, forever: bool, argv: list[str],
           err: TextIO = sys.stderr) -> int:
    server = client_from_settings(settings)
    timeout = settings.getfloat("FLEET_WORKER_TIMEOUT")
    if run_id is not None:
        meta = run_meta(server, run_id)
        if meta is None:
            print(f"govinspect: no run {run_id} in Redis", file=err)
            return 2
        return work_run(settings, run_id, meta, err)
    if not forever:
        found = pick_run(server, timeout)
        if found is None:
            print("no queued run has work", file=err)
            return 0
        return work_run(settings, found, run_meta(server, found) or {}, err)
    # --forever: each run in a child process (a Twisted reactor runs once per process)
    passthrough = [a for a in argv if a != "--forever"]
    while True:
        found = pick_run(server, timeout)
        if found is None:
            time.sleep(settings.getfloat("FLEET_POLL_SECONDS"))
            continue
        subprocess.run([sys.executable, "-m", "govinspect.cli", *passthrough, "--run-id", found], check=False)


def work_run(settings: Settings, run_id: str, meta: dict[str, str], err: TextIO = sys.stderr) -> int:
    from crawler.fleet.spider import FleetClusterSpider
    from govinspect.api import crawl_settings, join_run

    server = client_from_settings(settings)
    if meta.get("status") == "finished":
        print(f"run {run_id} is finished", file=err)
        return 0
    if meta.get("status") == "interrupted":
        set_status(server, run_id, "running")
        print(f"resuming run {run_id}", file=err)
    worker_id = new_worker_id()
    s = fleet_settings(settings, run_id, worker_id)
    context = join_run(s, run_id)
    try:
        # a member lock of the run: the run is alive while any worker holds one (govinspect.locks)
        with locks.run_lock(s, run_id, kind=None, member=worker_id):
            process = CrawlerProcess(crawl_settings(s, context))
            crawler = process.create_crawler(FleetClusterSpider)
            process.crawl(crawler)
            process.start()
        # every site folded (by whichever worker saw it done): the run is finished
        if set(context.state.site_ids()) <= set(context.state.finalised_sites()):
            set_status(server, run_id, "finished")
            release_lock(server, run_id)
            keep = settings.getint("FLEET_FINISHED_RUN_KEEP_SECONDS")
            if keep > 0:
                expire_run(server, run_id, keep)
                context.state.expire(keep)
    finally:
        context.state.close()
    stats = crawler.stats.get_stats() if crawler.stats else {}
    reason = stats.get("finish_reason")
    print(f"worker {worker_id}: run {run_id}, {stats.get('govinspect/pages', 0)} pages, "
          f"stopped: {reason}", file=err)
    return 0 if reason == "finished" else 1


@_redis_errors
def runs(settings: Settings, as_json: bool, out: TextIO = sys.stdout) -> int:
    from govinspect.runstate import open_run_state

    server = client_from_settings(settings)
    s = shared_state(settings)

    def progress_of(run_id: str):
        state = open_run_state(s, run_id)
        try:
            return state.progress_all()
        finally:
            state.close()

    listing = describe_runs(server, settings.getfloat("FLEET_WORKER_TIMEOUT"), progress_of)
    if as_json:
        print(json.dumps(listing, ensure_ascii=False, indent=1), file=out)
        return 0
    if not listing:
        print("no fleet runs", file=out)
    for run in listing:
        sites = run["sites"]
        print(f"{run['run_id']}  {run['status']:<11}  sites {len(sites)}  pages "
              f"{sum(s['pages'] for s in sites)}  queued {run['queued']}  requeued {run['requeued']}", file=out)
        for w in run["workers"]:
            print(f"    worker {w['worker']}: {w['in_flight']} in flight, {w['requests_done']} done, "
                  f"last seen {w['last_seen_s']} s ago", file=out)
        for site in sites:
            home = "homepage ok" if site["homepage_ok"] else "homepage not fetched"
            folded = "folded" if site["finalised"] else f"{site['pending']} pending"
            print(f"    {site['site_id']:<20} {site['pages']:>6} pages {site['errors']:>4} errors  {home}, {folded}",
                  file=out)
    return 0
