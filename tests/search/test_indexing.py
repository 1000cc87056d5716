"""Indexing findings from a real FindingStore into real Elasticsearch 9 and OpenSearch 2.19."""

from __future__ import annotations

import json
import logging
import time
from typing import Any

import pytest

from govinspect.search.adapter import ELASTICSEARCH, OPENSEARCH, SearchEngine, detect
from govinspect.search.config import SearchConfig
from govinspect.search.documents import finding_document
from govinspect.search.indexer import Action, Indexer
from govinspect.search.mapping import TEMPLATE_VERSION, IndexNames, ensure_templates, template
from govinspect.search.sync import run_sync
from govinspect.store import FindingStore
from tests.search.helpers import SITE_A, SITE_B, Relay, broken, do_run, leak, stale


def docs_by_id(engine: SearchEngine, index: str) -> dict[str, dict[str, Any]]:
    engine.refresh(index)
    reply = engine.search(index, {"size": 1000, "query": {"match_all": {}}})
    return {h["_id"]: h["_source"] for h in reply["hits"]["hits"]}


def store_findings(store: FindingStore) -> dict[str, dict[str, Any]]:
    return {f["fingerprint"]: f for f in store.findings()}


def test_detects_engine_flavour(request: pytest.FixtureRequest, config: SearchConfig) -> None:
    """The ES integ-test build answers 405 on GET / but sends X-Elastic-Product; OpenSearch says so."""
    info = detect(config)
    expected = {"es": ELASTICSEARCH, "opensearch": OPENSEARCH}[request.node.callspec.params["engine_url"]]
    assert info.flavor == expected
    engine = SearchEngine(config, info)
    assert engine.info.version.split(".")[0] in ("9", "2")


def test_templates_created_when_missing(engine: SearchEngine, config: SearchConfig) -> None:
    names = IndexNames(config.index_prefix)
    assert engine.get_template(names.findings_template) is None
    written = ensure_templates(engine, names)
    assert sorted(written) == sorted([names.findings_template, names.observations_template])
    assert ensure_templates(engine, names) == []  # present and current: left alone
    tpl = engine.get_template(names.findings_template)
    assert tpl["version"] == TEMPLATE_VERSION
    # A new index picks the template up: ECS names with the types analysts need.
    engine.request("PUT", f"/{names.findings}")
    props = engine.mapping(names.findings)[names.findings]["mappings"]["properties"]
    assert props["rule"]["properties"]["id"]["type"] == "keyword"
    assert props["url"]["properties"]["full"]["type"] == "keyword"
    assert props["organization"]["properties"]["name"]["type"] == "keyword"
    assert props["event"]["properties"]["severity"]["type"] == "long"
    assert props["@timestamp"]["type"] == "date"
    assert props["message"]["type"] == "text"
    assert props["message"]["analyzer"] == "standard"
    assert props["message"]["fields"]["keyword"]["type"] == "keyword"
    finding = props["govinspect"]["properties"]["finding"]["properties"]
    assert finding["last_seen"]["type"] == "date" and finding["status"]["type"] == "keyword"
    # An older template (version below ours) is upgraded.
    engine.put_template(names.findings_template, dict(template(f"{names.findings}*", "findings"), version=0))
    assert ensure_templates(engine, names) == [names.findings_template]


def test_index_run_rerun_same_ids(engine: SearchEngine, config: SearchConfig, store: FindingStore) -> None:
    names = IndexNames(config.index_prefix)
    do_run(store, "r1", [broken(SITE_A, "a.html", "x.pdf"), broken(SITE_A, "b.html", "x.pdf"),
                         stale(SITE_A)])
    counts = run_sync(store, config, engine=engine, refresh=True)
    assert counts["findings"] == 2 and counts["observations"] == 2 and counts["failed"] == 0
    first = docs_by_id(engine, names.findings)
    records = store_findings(store)
    assert set(first) == set(records)  # _id is the fingerprint
    link_fp = next(fp for fp, r in records.items() if r["rule"] == "link.broken")
    assert first[link_fp]["govinspect"]["finding"]["occurrences"] == 2
    assert first[link_fp]["govinspect"]["finding"]["status"] == "open"
    assert first[link_fp]["rule"]["id"] == "link.broken"
    assert first[link_fp]["http"]["response"]["status_code"] == 404
    assert first[link_fp]["govinspect"]["target"]["url"] == SITE_A.url + "x.pdf"

    time.sleep(1.1)  # the store's times have second precision
    do_run(store, "r2", [broken(SITE_A, "c.html", "x.pdf"), stale(SITE_A)])
    counts = run_sync(store, config, engine=engine, refresh=True)
    assert counts["findings"] == 2
    second = docs_by_id(engine, names.findings)
    records = store_findings(store)
    assert set(second) == set(first)  # same ids, no duplicates
    doc = second[link_fp]["govinspect"]["finding"]
    assert doc["occurrences"] == 1  # one page showed it in the latest run
    assert doc["last_seen"] == records[link_fp]["last_seen"] > first[link_fp]["govinspect"]["finding"]["last_seen"]
    assert doc["first_seen"] == records[link_fp]["first_seen"]
    assert doc["run_id"] == "r2"
    assert run_sync(store, config, engine=engine)["findings"] == 0  # nothing new: nothing sent
    # Per-run observations: one document per finding per run, in the run's monthly index.
    obs = docs_by_id(engine, names.observations_pattern)
    assert {f"{link_fp}:r1", f"{link_fp}:r2"} <= set(obs)
    assert len(obs) == 4
    assert obs[f"{link_fp}:r1"]["govinspect"]["finding"]["occurrences"] == 2
    assert obs[f"{link_fp}:r1"]["event"]["dataset"] == "govinspect.observation"


def test_fixed_and_reopened_reach_index(engine: SearchEngine, config: SearchConfig, store: FindingStore) -> None:
    names = IndexNames(config.index_prefix)
    do_run(store, "r1", [broken(SITE_A, "a.html", "x.pdf"), stale(SITE_A)])
    run_sync(store, config, engine=engine)
    records = store_findings(store)
    stale_fp = next(fp for fp, r in records.items() if r["rule"] == "freshness.homepage-stale")
    time.sleep(1.1)
    counts = do_run(store, "r2", [broken(SITE_A, "a.html", "x.pdf")])
    assert counts[SITE_A.id]["fixed"] == 1
    run_sync(store, config, engine=engine, refresh=True)
    doc = docs_by_id(engine, names.findings)[stale_fp]["govinspect"]["finding"]
    assert doc["status"] == "fixed"
    assert doc["fixed_at"] == store_findings(store)[stale_fp]["fixed_at"]
    time.sleep(1.1)
    do_run(store, "r3", [broken(SITE_A, "a.html", "x.pdf"), stale(SITE_A)])
    run_sync(store, config, engine=engine, refresh=True)
    doc = docs_by_id(engine, names.findings)[stale_fp]["govinspect"]["finding"]
    assert doc["status"] == "reopened" and doc["reopened_count"] == 1 and doc["fixed_at"] is None


def test_incomplete_run_fixes_nothing_in_index(engine: SearchEngine, config: SearchConfig,
                                               store: FindingStore) -> None:
    names = IndexNames(config.index_prefix)
    do_run(store, "r1", [stale(SITE_A)])
    time.sleep(1.1)
    do_run(store, "r2", [], completed=False)
    run_sync(store, config, engine=engine, refresh=True)
    assert [d["govinspect"]["finding"]["status"] for d in docs_by_id(engine, names.findings).values()] == ["open"]


def test_chinese_phrase_search(engine: SearchEngine, config: SearchConfig, store: FindingStore) -> None:
    names = IndexNames(config.index_prefix)
    do_run(store, "r1", [broken(SITE_A, "a.html", "x.pdf"), stale(SITE_A)])
    run_sync(store, config, engine=engine, refresh=True)

    def hits(field: str, phrase: str) -> list[str]:
        reply = engine.search(names.findings, {"query": {"match_phrase": {field: phrase}}})
        return [h["_source"]["rule"]["id"] for h in reply["hits"]["hits"]]

    assert hits("message", "链接无法访问") == ["link.broken"]
    assert hits("message", "未更新") == ["freshness.homepage-stale"]
    assert hits("message", "访问链接") == []  # same characters, other order: a phrase, not a bag
    assert hits("govinspect.evidence_text", "下载附件") == ["link.broken"]
    assert hits("rule.name.text", "不可用") == ["link.broken"]
    exact = engine.search(names.findings, {"query": {"term": {"message.keyword": "首页最新信息已超过14天未更新"}}})
    assert exact["hits"]["total"]["value"] == 1


def test_aggregation_by_organizer(engine: SearchEngine, config: SearchConfig, store: FindingStore) -> None:
    names = IndexNames(config.index_prefix)
    do_run(store, "r1", [broken(SITE_A, "a.html", "x.pdf"), broken(SITE_A, "a.html", "y.doc"), stale(SITE_A),
                         stale(SITE_B)], sites=(SITE_A, SITE_B))
    run_sync(store, config, engine=engine, refresh=True)
    reply = engine.search(names.findings, {
        "size": 0, "query": {"term": {"govinspect.finding.status": "open"}},
        "aggs": {"unit": {"terms": {"field": "organization.name", "size": 50},
                          "aggs": {"sev": {"terms": {"field": "govinspect.severity"}}}}},
    })
    buckets = {b["key"]: b["doc_count"] for b in reply["aggregations"]["unit"]["buckets"]}
    expected: dict[str, int] = {}
    for f in store.findings(status="open"):
        expected[f["organizer"]] = expected.get(f["organizer"], 0) + 1
    assert buckets == expected == {SITE_A.organizer: 3, SITE_B.organizer: 1}


def test_personal_data_masked_in_index(engine: SearchEngine, config: SearchConfig, store: FindingStore) -> None:
    names = IndexNames(config.index_prefix)
    raw_id = "340102199001011237"
    do_run(store, "r1", [leak(SITE_A, "list.html", raw_id)])
    run_sync(store, config, engine=engine, refresh=True)
    # And a record that bypassed the store's masking: the document builder masks again.
    record = dict(next(iter(store.findings())), fingerprint="direct", message=f"身份证 {raw_id}",
                  evidence={"matched": raw_id, "rows": [f"张三 {raw_id} 13912345678"]})
    Indexer(engine, refresh=True).send([Action(names.findings, "direct", finding_document(record))])
    for index in (names.findings, names.observations_pattern):
        docs = docs_by_id(engine, index)
        assert docs
        for source in docs.values():
            text = json.dumps(source, ensure_ascii=False)
            assert raw_id not in text and "19900101" not in text and "13912345678" not in text
            assert "340102********1237" in text
    found = engine.search(names.findings, {"query": {"match_phrase": {"govinspect.evidence_text": raw_id}}})
    assert found["hits"]["total"]["value"] == 0


def test_every_document_field_is_mapped(engine: SearchEngine, config: SearchConfig, store: FindingStore) -> None:
    """``dynamic: false`` would silently leave a misspelt field unsearchable: catch it here."""
    names = IndexNames(config.index_prefix)
    do_run(store, "r1", [broken(SITE_A, "a.html", "x.pdf"), leak(SITE_A, "b.html"), stale(SITE_A)])
    run_sync(store, config, engine=engine, refresh=True)

    def leaves(value: Any, path: str = "") -> set[str]:
        if isinstance(value, dict):
            out: set[str] = set()
            for k, v in value.items():
                if path + k == "govinspect.evidence":  # stored, deliberately not indexed
                    continue
                out |= leaves(v, f"{path}{k}.")
            return out
        return {path[:-1]}

    for index in (names.findings, names.observations_pattern):
        caps = engine.field_caps(index)["fields"]
        for source in docs_by_id(engine, index).values():
            missing = {f for f in leaves(source) if f not in caps}
            assert not missing, f"{index}: unmapped fields {missing}"


def test_engine_down_mid_run_then_sync_fills_gap(engine: SearchEngine, config: SearchConfig,
                                                 store: FindingStore, relay: Relay,
                                                 caplog: pytest.LogCaptureFixture) -> None:
    """The Scrapy extension indexes through a relay; the relay is cut mid-run (engine unreachable),
    the run goes on, the store keeps everything; ``run_sync`` later sends exactly the gap."""
    from scrapy.exceptions import NotConfigured
    from scrapy.utils.test import get_crawler

    from crawler import signals as gi_signals
    from pipelines.search_index import SearchIndexExtension

    with pytest.raises(NotConfigured):
        SearchIndexExtension.from_crawler(get_crawler(settings_dict={"ELASTICSEARCH_URL": ""}))
    names = IndexNames(config.index_prefix)
    settings = {"ELASTICSEARCH_URL": relay.url, "ELASTICSEARCH_INDEX_PREFIX": config.index_prefix,
                "ELASTICSEARCH_RETRIES": 1, "ELASTICSEARCH_BACKOFF": 0.05}
    crawler = get_crawler(settings_dict=settings)
    ext = SearchIndexExtension.from_crawler(crawler)  # keep a reference: signals hold weak refs
    assert ext.config.url == relay.url

    def run(run_id: str, observations: list, sites: tuple = (SITE_A, SITE_B), cut_after_first: bool = False) -> None:
        store.start_run(run_id, "2026-11-01", {}, list(sites))
        by_id = {s.id: s for s in sites}
        for obs in observations:
            store.add_observation(run_id, obs, by_id[obs.site_id].url)
        for i, site in enumerate(sites):
            counts = store.finalize_site(run_id, site, completed=True)
            crawler.signals.send_catch_log(gi_signals.site_finalized, site=site, run_id=run_id, store=store,
                                           counts=counts)
            if cut_after_first and i == 0:
                relay.down()
        store.end_run(run_id, "finished")
        crawler.signals.send_catch_log(gi_signals.run_finished, run_id=run_id, store=store, status="finished")

    run("r1", [broken(SITE_A, "a.html", "x.pdf"), stale(SITE_A), stale(SITE_B)])
    engine.refresh(names.findings)
    assert set(docs_by_id(engine, names.findings)) == set(store_findings(store))

    time.sleep(1.1)
    caplog.set_level(logging.WARNING)
    # Site A indexes live; then the engine becomes unreachable; site B's changes wait in the store.
    run("r2", [broken(SITE_A, "a.html", "x.pdf"), broken(SITE_B, "p.html", "gone.html"),
               leak(SITE_B, "q.html")], cut_after_first=True)
    assert "not reachable" in caplog.text and "es sync" in caplog.text
    records = store_findings(store)
    indexed = docs_by_id(engine, names.findings)
    stale_b = next(fp for fp, r in records.items() if r["site_id"] == SITE_B.id and r["rule"].startswith("fresh"))
    assert records[stale_b]["status"] == "fixed" and indexed[stale_b]["govinspect"]["finding"]["status"] == "open"
    assert len(indexed) < len(records)

    relay.up()
    counts = run_sync(store, SearchConfig.load({}, env={}, url=relay.url, index_prefix=config.index_prefix),
                      refresh=True)
    assert counts["findings"] == 3  # B's fixed finding and B's two new ones; A was indexed live
    assert counts["observations"] == 2  # B's observations of r2
    indexed = docs_by_id(engine, names.findings)
    assert set(indexed) == set(records)
    for fp, rec in records.items():
        f = indexed[fp]["govinspect"]["finding"]
        assert (f["status"], f["last_seen"], f["occurrences"]) == (rec["status"], rec["last_seen"],
                                                                   rec["occurrences"])
    obs = docs_by_id(engine, names.observations_pattern)
    assert sum(1 for i in obs if i.endswith(":r2")) == 3


def test_bulk_retries_while_engine_comes_back(engine: SearchEngine, config: SearchConfig, relay: Relay) -> None:
    names = IndexNames(config.index_prefix)
    ensure_templates(engine, names)
    through = SearchEngine(SearchConfig.load({}, env={}, url=relay.url, index_prefix=config.index_prefix))
    relay.down()
    waits: list[float] = []

    def sleep(seconds: float) -> None:  # the engine returns during the second back-off
        waits.append(seconds)
        if len(waits) == 2:
            relay.up()

    indexer = Indexer(through, retries=4, backoff=0.01, sleep=sleep, refresh=True)
    result = indexer.send([Action(names.findings, f"d{i}", {"message": f"第{i}条"}) for i in range(5)])
    assert len(result.done) == 5 and result.retries == 2
    assert waits == [0.01, 0.02]  # exponential back-off
    assert len(docs_by_id(engine, names.findings)) == 5
    through.close()


def test_older_version_never_overwrites_newer(engine: SearchEngine, config: SearchConfig) -> None:
    names = IndexNames(config.index_prefix)
    ensure_templates(engine, names)
    indexer = Indexer(engine, refresh=True)
    indexer.send([Action(names.findings, "fp", {"message": "新"}, version=2000)])
    result = indexer.send([Action(names.findings, "fp", {"message": "旧"}, version=1000)])
    assert len(result.done) == 1 and not result.failed  # 409 = already newer: done
    assert engine.get(names.findings, "fp")["message"] == "新"
