"""End to end: crawl the demo cluster and find exactly the seeded identity/freshness/registry problems."""

from __future__ import annotations

import json
import sqlite3
from datetime import date

import pytest

from govinspect.demo.generator import build_cluster
from govinspect.demo.server import ClusterServer
from govinspect.urls import normalize_url
from tests.support.cli import clean_env, govinspect

AS_OF = date(2026, 11, 20)
RULES = (
    "identity.icp-missing", "identity.psb-missing", "identity.conac-missing", "identity.site-code-missing",
    "identity.name-mismatch", "freshness.homepage-stale", "freshness.column-stale", "freshness.column-empty",
    "registry.unregistered-site",
)
PAGE_KEYED = ("freshness.column-stale", "freshness.column-empty")


def _key(rule: str, site_id: str, page_url: str | None, target_url: str | None) -> tuple:
    if rule in PAGE_KEYED:
        return rule, site_id, normalize_url(page_url or "")
    if rule == "registry.unregistered-site":
        return rule, site_id, (target_url or "").rstrip("/")
    return rule, site_id


@pytest.mark.slow
def test_demo_cluster_findings_equal_the_manifest(tmp_path):
    cluster = build_cluster(tmp_path / "c", as_of=AS_OF)
    store = tmp_path / "store.sqlite3"
    with ClusterServer(tmp_path / "c", max_delay=2.0) as server:
        result = govinspect(
            "crawl", "--registry", str(cluster.registry_path), "--store", str(store), "--as-of", AS_OF.isoformat(),
            "-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=false", "-s", "DOWNLOAD_TIMEOUT=3",
            "-s", "PROGRESS_INTERVAL=0",
            env=clean_env(http_proxy=server.proxy_url),
        )
    assert result.returncode == 0, result.stderr[-3000:]
    db = sqlite3.connect(store)
    db.row_factory = sqlite3.Row
    marks = ",".join("?" * len(RULES))
    found = {_key(r["rule"], r["site_id"], r["page_url"], r["target_url"]): dict(r)
             for r in db.execute(f"SELECT * FROM findings WHERE rule IN ({marks})", RULES)}
    expected = {_key(e["rule"], e["site_id"], e["page_url"], e["target_url"]): e
                for e in cluster.entries if e["rule"] in RULES and e["expect"] == "finding"}
    assert len(expected) >= 15  # every one of the nine rules is seeded at least once
    assert {k[0] for k in expected} == set(RULES)
    assert sorted(found) == sorted(expected), (
        f"missing: {sorted(set(expected) - set(found))}; unexpected: {sorted(set(found) - set(expected))}"
    )
    for key, entry in expected.items():
        if entry["rule"] == "freshness.column-stale":
            evidence = json.loads(found[key]["evidence"])
            assert evidence["newest"] == entry["newest"] and evidence["threshold_days"] == entry["threshold_days"]
            assert evidence["column"] == entry["column"]
