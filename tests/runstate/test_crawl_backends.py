"""A real crawl with the run state in Redis finds exactly what the in-process run state finds.

Two registered sites link the same broken target (checked once, waited for by both), one site
redirects its homepage, one has a calendar trap; the fold of each site happens once.
"""

from __future__ import annotations

from collections import Counter

from govinspect.store import FindingStore
from tests.support.cli import FAST, LINKS_ONLY, clean_env, govinspect, write_registry
from tests.support.redis import drop_prefix, redis_url, unique_prefix
from tests.support.server import Route, RouteServer, html


def _routes(other: str) -> dict[str, Route]:
    calendar = "".join(f'<a href="/cal?date=2026-{m:02d}-01">{m}月</a>' for m in range(1, 13))
    return {
        "/a/": Route(html(f'<a href="/a/1.html">一</a><a href="{other}/gone.html">共享坏链</a>{calendar}')),
        "/a/1.html": Route(html('<a href="/a/missing.html">坏链</a><a href="/a/">首页</a>')),
        "/cal": Route(html(calendar)),
        "/b": Route(b"", 302, location="/b/index.html"),
        "/b/index.html": Route(html(f'<a href="{other}/gone.html">共享坏链</a><a href="/b/index.html">首页</a>')),
    }


def _crawl(tmp_path, name: str, *extra: str) -> tuple[dict[str, str], Counter, list[dict]]:
    with RouteServer() as other, RouteServer() as srv:
        srv.routes.update(_routes(other.url))
        registry = write_registry(tmp_path / f"{name}.csv", [
            {"id": "3416000001", "name": "甲", "organizer": "甲办", "url": srv.url + "/a/"},
            {"id": "3416000002", "name": "乙", "organizer": "乙办", "url": srv.url + "/b"},
        ])
        store = tmp_path / f"{name}.sqlite3"
        result = govinspect("crawl", "--registry", str(registry), "--store", str(store), "--run-id", name,
                            *FAST, *LINKS_ONLY, "-s", "TRAP_MAX_DATE_VARIANTS=4", *extra, env=clean_env())
        hits = Counter(srv.hits) + Counter(other.hits)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stderr.count("finalized (") == 2  # each site folded once
    s = FindingStore(store)
    findings = {r["target_url"].split("/", 3)[-1]: r["status"] for r in s.findings()}
    sites = [{k: r[k] for k in ("site_id", "pages", "errors", "completed", "reason")} for r in s.run_sites(name)]
    s.close()
    return findings, hits, sites


def test_redis_run_state_finds_what_memory_finds(tmp_path):
    url, prefix = redis_url(), unique_prefix()
    try:
        memory = _crawl(tmp_path, "mem")
        fleet = _crawl(tmp_path, "redis", "-s", "RUN_STATE_BACKEND=redis", "-s", f"REDIS_URL={url}",
                       "-s", f"REDIS_KEY_PREFIX={prefix}")
        import redis

        client = redis.Redis.from_url(url)
        leftover = [k for k in client.scan_iter(match=f"{prefix}:*")]
        client.close()
    finally:
        drop_prefix(url, prefix)
    assert memory[0] == fleet[0] == {"gone.html": "open", "a/missing.html": "open"}
    assert memory[2] == fleet[2]
    assert all(site["completed"] == 1 for site in fleet[2])
    for hits in (memory[1], fleet[1]):
        assert hits[("HEAD", "/gone.html")] == 1  # one check for both sites
        assert all(n == 1 for (method, _), n in hits.items() if method == "GET"), hits
        assert sum(1 for (_, path) in hits if path.startswith("/cal?")) == 4  # trap capped
    assert leftover == []  # the run's state is dropped once its process owned and ended the run
