"""Issue 10's rules in the search index: availability figures mapped for the dashboard panel (a max
aggregation like the Lens table's), the other new rules indexed like any rule; the panel is on the
dashboard. Real Elasticsearch and OpenSearch (see conftest)."""

from __future__ import annotations

import json
from pathlib import Path

from govinspect.findings import Observation
from govinspect.search.adapter import SearchEngine
from govinspect.search.config import SearchConfig
from govinspect.search.mapping import IndexNames
from govinspect.search.sync import run_sync
from govinspect.store import FindingStore
from tests.search.helpers import SITE_A, SITE_B, do_run

NDJSON = Path(__file__).resolve().parents[2] / "kibana" / "govinspect.ndjson"


def availability(site, rate: float, probes: int, severity: str | None = None) -> Observation:
    return Observation(rule="site.availability-low", site_id=site.id, page_url=site.url, severity=severity,
                       message=f"近7天首页可用性监测{probes}次，失败率{rate:.1%}",
                       evidence={"probes": probes, "failed": round(rate * probes), "failure_rate": rate,
                                 "probes_per_day": probes / 7, "expected_per_day": 20})


def test_availability_panel_figures(engine: SearchEngine, config: SearchConfig, store: FindingStore) -> None:
    others = [
        Observation(rule="link.soft-404", site_id=SITE_A.id, page_url=SITE_A.url, target_url=SITE_A.url + "x.html",
                    message="链接指向错误页面", evidence={"status": 200, "matched": "phrase"}),
        Observation(rule="link.hijacked-external", site_id=SITE_A.id, page_url=SITE_A.url,
                    target_url="http://www.old-partner.com/", message="外部链接被劫持",
                    evidence={"category": "parked", "status": 200}),
        Observation(rule="security.injected-content", site_id=SITE_B.id, page_url=SITE_B.url + "a.html",
                    message="疑似挂马", evidence={"kind": "keyword-block", "keywords": ["百家乐", "真人娱乐"]}),
    ]
    do_run(store, "r1", [availability(SITE_A, 0.0357, 140), availability(SITE_B, 0.08, 100, "critical"), *others],
           sites=(SITE_A, SITE_B))
    run_sync(store, config, engine=engine, refresh=True)
    names = IndexNames(config.index_prefix)
    reply = engine.search(names.findings, {
        "size": 0, "query": {"term": {"rule.id": "site.availability-low"}},
        "aggs": {"site": {"terms": {"field": "govinspect.site.name"},
                          "aggs": {"rate": {"max": {"field": "govinspect.availability.failure_rate"}},
                                   "probes": {"max": {"field": "govinspect.availability.probes"}}}}}})
    rates = {b["key"]: (round(b["rate"]["value"], 4), b["probes"]["value"])
             for b in reply["aggregations"]["site"]["buckets"]}
    assert rates == {SITE_A.name: (0.0357, 140), SITE_B.name: (0.08, 100)}
    rules = engine.search(names.findings, {"size": 0, "aggs": {"r": {"terms": {"field": "rule.id", "size": 20}}}})
    assert {b["key"] for b in rules["aggregations"]["r"]["buckets"]} == {
        "site.availability-low", "link.soft-404", "link.hijacked-external", "security.injected-content"}
    cats = engine.search(names.findings, {"size": 5, "query": {"term": {"rule.category": "security"}}})
    [hit] = cats["hits"]["hits"]
    assert "百家乐" in hit["_source"]["govinspect"]["evidence_text"]


def test_availability_panel_on_the_dashboard() -> None:
    objs = {(o["type"], o["id"]): o for o in map(json.loads, NDJSON.read_text(encoding="utf-8").splitlines())}
    lens = objs[("lens", "govinspect-lens-availability")]
    assert 'rule.id : "site.availability-low"' in lens["attributes"]["state"]["query"]["query"]
    dash = objs[("dashboard", "govinspect-overview")]
    assert "govinspect-lens-availability" in {r["id"] for r in dash["references"]}
