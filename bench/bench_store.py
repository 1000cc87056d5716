"""Store write and fold speed on SQLite and on PostgreSQL (one process, then several at once).

Writes observations one by one (as the crawl does: each committed), link references in batches
of 2,000, then folds the site; prints rows/s per backend. PostgreSQL needs a server:
``--pg URL`` or ``GOVINSPECT_TEST_PG_URL`` (``scripts/postgres.sh start`` gives one); a fresh
database is created on it and dropped after.

    .venv/bin/python bench/bench_store.py [--observations 5000] [--refs 50000] [--workers 1 2 4]
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import secrets
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402

from govinspect.findings import LinkRef, Observation  # noqa: E402
from govinspect.registry import Site  # noqa: E402
from govinspect.store import FindingStore  # noqa: E402

SITE = Site(id="3416000001", name="测试", organizer="测试办", level="portal", url="http://a.gov.cn/")


def _observations(target: str, spool: str, worker: int, n: int, barrier=None, times=None) -> None:
    store = FindingStore(target, spool_dir=spool)
    if barrier is not None:
        barrier.wait()  # all connected: time the writing only
    started = time.perf_counter()
    for i in range(n):
        store.add_observation("bench", Observation(rule="ad.commercial", site_id=SITE.id,
                                                   page_url=f"http://a.gov.cn/w{worker}/p{i}.html",
                                                   message="商业广告"), SITE.url)
    if times is not None:
        times.append(time.perf_counter() - started)
    store.close()


def run(target: str, label: str, observations: int, refs: int, workers: list[int], spool: str) -> None:
    store = FindingStore(target, spool_dir=spool)
    store.start_run("bench", "2026-11-27", {}, [SITE])
    t = time.perf_counter()
    _observations(target, spool, 0, observations)
    single = observations / (time.perf_counter() - t)
    t = time.perf_counter()
    for start in range(0, refs, 2000):
        store.add_refs("bench", [LinkRef(SITE.id, f"http://a.gov.cn/p{i // 50}.html", f"http://b.gov.cn/{i}", "a", "t")
                                 for i in range(start, min(refs, start + 2000))])
    ref_rate = refs / (time.perf_counter() - t)
    print(f"{label:<10} observations, one process, each committed: {single:8.0f} /s")
    print(f"{label:<10} link references, batches of 2000:         {ref_rate:8.0f} /s")
    ctx = multiprocessing.get_context("spawn")
    for n in workers:
        if n == 1:
            continue
        with ctx.Manager() as manager:
            times, barrier = manager.list(), ctx.Barrier(n)
            procs = [ctx.Process(target=_observations,
                                 args=(target, spool, 100 + n * 10 + w, observations // n, barrier, times))
                     for w in range(n)]
            for p in procs:
                p.start()
            for p in procs:
                p.join()
            rate = (observations // n) * n / max(times)
        print(f"{label:<10} observations, {n} processes at once:          {rate:8.0f} /s in all")
    total = store.query("SELECT COUNT(*) AS n FROM observations")[0]["n"]
    t = time.perf_counter()
    counts = store.finalize_site("bench", SITE, True, "done")
    fold = time.perf_counter() - t
    print(f"{label:<10} fold of {total} observations into {counts['new']} findings: {fold:6.2f} s")
    store.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--observations", type=int, default=5000)
    parser.add_argument("--refs", type=int, default=50000)
    parser.add_argument("--workers", type=int, nargs="*", default=[1, 2, 4])
    parser.add_argument("--pg", default=os.environ.get("GOVINSPECT_TEST_PG_URL"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        run(str(Path(tmp) / "bench.sqlite3"), "sqlite", args.observations, args.refs, args.workers, tmp)
        if not args.pg:
            print("postgresql: skipped (no --pg URL and GOVINSPECT_TEST_PG_URL unset)")
            return
        base = args.pg.rpartition("/")[0]
        name = f"gi_bench_{secrets.token_hex(3)}"
        with psycopg.connect(base + "/postgres", autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {name}")
        try:
            run(f"{base}/{name}", "postgresql", args.observations, args.refs, args.workers, tmp)
        finally:
            with psycopg.connect(base + "/postgres", autocommit=True) as conn:
                conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


if __name__ == "__main__":
    main()
