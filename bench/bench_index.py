"""Indexing throughput into each local engine: ``python bench/bench_index.py [-n 20000]``.

Builds a real store with N findings (observations folded by ``finalize_site``), then measures
(1) ``run_sync`` end to end (read the store, build documents, bulk with external versions, record
the sync state) and (2) the bulk path alone with prebuilt documents. Target: >= 2,000 findings/s.
Engines: ``GOVINSPECT_TEST_ES_URL`` / ``GOVINSPECT_TEST_OPENSEARCH_URL`` or the ports of
``scripts/engines.sh`` (9200, 9201); an engine that is not up is reported and skipped.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from govinspect.findings import Observation  # noqa: E402
from govinspect.registry import Site  # noqa: E402
from govinspect.search.adapter import EngineUnavailable, SearchEngine  # noqa: E402
from govinspect.search.config import SearchConfig  # noqa: E402
from govinspect.search.indexer import Indexer  # noqa: E402
from govinspect.search.mapping import IndexNames, ensure_templates  # noqa: E402
from govinspect.search.sync import finding_actions, run_sync  # noqa: E402
from govinspect.store import FindingStore  # noqa: E402

ENGINES = {"elasticsearch": ("GOVINSPECT_TEST_ES_URL", "http://127.0.0.1:9200"),
           "opensearch": ("GOVINSPECT_TEST_OPENSEARCH_URL", "http://127.0.0.1:9201")}


def build_store(path: Path, n: int, sites: int = 50) -> FindingStore:
    store = FindingStore(path)
    registry = [Site(id=f"34160{i:05d}", name=f"示例县第{i}部门网站", organizer=f"示例县第{i}局",
                     level="department", url=f"http://d{i}.example.gov.cn/") for i in range(sites)]
    store.start_run("bench", "2026-11-01", {}, registry)
    per_site = n // sites
    for site in registry:
        for j in range(per_site):
            obs = Observation(rule="link.broken", site_id=site.id, page_url=f"{site.url}list/{j % 40}.html",
                              target_url=f"{site.url}files/{j}.pdf",
                              message=f"页面中的链接无法访问（HTTP 404），请修复或删除：附件{j}",
                              evidence={"status": 404, "link_text": f"下载附件{j}"})
            store.add_observation("bench", obs, site.url)
        store.finalize_site("bench", site, completed=True)
    return store


def bench(name: str, url: str, store: FindingStore, n: int, chunk: int) -> None:
    prefix = f"gi-bench-{uuid.uuid4().hex[:8]}"
    config = SearchConfig.load({}, env={}, url=url, index_prefix=prefix)
    try:
        engine = SearchEngine(config)
    except EngineUnavailable:
        print(f"{name:<14} not running at {url}: skipped")
        return
    names = IndexNames(prefix)
    try:
        ensure_templates(engine, names)
        t0 = time.perf_counter()
        counts = run_sync(store, config, engine=engine)
        engine.refresh(names.findings)
        sync_s = time.perf_counter() - t0
        rows = store.db.execute("SELECT * FROM findings").fetchall()
        actions = list(finding_actions(rows, IndexNames(prefix + "-raw")))
        ensure_templates(engine, IndexNames(prefix + "-raw"))
        t0 = time.perf_counter()
        result = Indexer(engine, chunk_size=chunk).send(actions)
        engine.refresh(f"{prefix}-raw-findings")
        bulk_s = time.perf_counter() - t0
        count = engine.request("GET", f"/{names.findings}/_count")["count"]
        print(f"{name:<14} {engine.info.version:<8} run_sync: {counts['findings']} findings"
              f" (+{counts['observations']} observations) in {sync_s:.2f}s = "
              f"{(counts['findings'] + counts['observations']) / sync_s:,.0f} docs/s, "
              f"{counts['findings'] / sync_s:,.0f} findings/s; "
              f"bulk only: {len(result.done)} in {bulk_s:.2f}s = {len(result.done) / bulk_s:,.0f} findings/s;"
              f" indexed={count}")
        assert count == n and not result.failed
    finally:
        engine.delete_index(f"{prefix}-*")
        for t in (names.findings_template, names.observations_template, f"{prefix}-raw-findings",
                  f"{prefix}-raw-observations"):
            engine.delete_template(t)
        engine.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-n", type=int, default=20000, help="findings to generate (multiple of 50)")
    ap.add_argument("--chunk", type=int, default=1000, help="bulk chunk size for the bulk-only pass")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        store = build_store(Path(tmp) / "bench.db", args.n)
        print(f"store: {args.n} findings built in {time.perf_counter() - t0:.1f}s")
        for name, (env, default) in ENGINES.items():
            bench(name, os.environ.get(env, default), store, args.n, args.chunk)
        store.close()


if __name__ == "__main__":
    main()
