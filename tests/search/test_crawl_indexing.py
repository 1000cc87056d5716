"""End to end: ``govinspect crawl`` with the indexing extension switched on, against a loopback site
and a real engine. Store pipeline → ``site_finalized`` → extension → index, for open then fixed."""

from __future__ import annotations

import json
from pathlib import Path

from govinspect.search.adapter import SearchEngine
from govinspect.search.config import SearchConfig
from govinspect.search.mapping import IndexNames
from govinspect.store import FindingStore
from tests.support.cli import FAST, LINKS_ONLY, clean_env, govinspect, write_registry
from tests.support.server import Route, RouteServer, html

EXTENSIONS = json.dumps({"crawler.extensions.LogMasking": 0, "crawler.extensions.Progress": 500,
                         "pipelines.search_index.SearchIndexExtension": 600})
HOME = html('<a href="/a.html">通知公告</a><a href="/b.html">政策文件</a>')


def test_crawl_indexes_findings_and_their_fix(tmp_path: Path, engine_url: str, config: SearchConfig,
                                              engine: SearchEngine) -> None:
    names = IndexNames(config.index_prefix)
    store_path = tmp_path / "s.sqlite3"
    env = clean_env(GOVINSPECT_ES_URL=engine_url, GOVINSPECT_ES_INDEX_PREFIX=config.index_prefix)
    with RouteServer({"/": Route(HOME), "/b.html": Route(html("b"))}) as srv:
        registry = write_registry(tmp_path / "r.csv", [
            {"id": "3416000009", "name": "测试网站", "organizer": "测试单位办公室", "url": srv.url + "/"}])

        def crawl(run_id: str) -> dict[str, dict]:
            result = govinspect("crawl", "--registry", str(registry), "--store", str(store_path), "--run-id",
                                run_id, *FAST, *LINKS_ONLY, "-s", f"EXTENSIONS={EXTENSIONS}", env=env)
            assert result.returncode == 0, result.stderr[-3000:]
            assert "indexed site 3416000009" in result.stderr
            engine.refresh(names.findings)
            hits = engine.search(names.findings, {"size": 100})["hits"]["hits"]
            return {h["_id"]: h["_source"] for h in hits}

        docs = crawl("r1")
        store = FindingStore(store_path)
        records = {r["fingerprint"]: r for r in store.findings()}
        store.close()
        assert set(docs) == set(records) and records
        broken = [d for d in docs.values() if d["rule"]["id"] == "link.broken"]
        assert [d["govinspect"]["target"]["url"] for d in broken] == [srv.url + "/a.html"]
        assert broken[0]["organization"]["name"] == "测试单位办公室"
        assert broken[0]["govinspect"]["finding"]["status"] == "open"

        srv.routes["/a.html"] = Route(html("修好了"))
        docs = crawl("r2")
        fp = next(fp for fp, d in docs.items() if d["rule"]["id"] == "link.broken")
        assert docs[fp]["govinspect"]["finding"]["status"] == "fixed"
        obs = engine.search(names.observations_pattern, {"size": 100})["hits"]["hits"]
        assert f"{fp}:r1" in {h["_id"] for h in obs}
