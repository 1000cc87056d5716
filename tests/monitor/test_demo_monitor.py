"""The demo cluster end to end for issue 10's rules: seeded findings under their keys with their
severities, decoys left alone (the demo test fixture probes every homepage before it crawls)."""

from __future__ import annotations

import json

from govinspect.findings import finding_key, fingerprint

RULES = ("site.availability-low", "link.soft-404", "link.hijacked-external", "security.injected-content")


def _fp(entry, urls):
    key = finding_key(entry["rule"], urls[entry["site_id"]], entry["page_url"] or urls[entry["site_id"]],
                      entry["target_url"])
    return fingerprint(entry["site_id"], entry["rule"], key)


def _entries(demo):
    urls = {s["id"]: s["url"] for s in json.loads(demo.cluster.manifest_path.read_text())["sites"]}
    return [(e, _fp(e, urls)) for e in demo.cluster.entries if e["rule"] in RULES], urls


def test_every_rule_is_seeded_with_decoys(demo_crawl):
    entries, _ = _entries(demo_crawl)
    for rule in RULES:
        assert any(e["expect"] == "finding" for e, _ in entries if e["rule"] == rule), rule
        assert any(e["expect"] == "no-finding" for e, _ in entries if e["rule"] == rule), rule


def test_seeded_findings_and_severities(demo_crawl):
    entries, _ = _entries(demo_crawl)
    rows = {r["fingerprint"]: r for r in demo_crawl.db.execute("SELECT * FROM findings")}
    for e, fp in entries:
        if e["expect"] == "finding":
            assert fp in rows, e
            if e.get("severity"):
                assert rows[fp]["severity"] == e["severity"], (e, rows[fp]["evidence"])


def test_decoys_are_not_findings(demo_crawl):
    entries, _ = _entries(demo_crawl)
    found = {r["fingerprint"] for r in demo_crawl.db.execute("SELECT fingerprint FROM findings")}
    for e, fp in entries:
        if e["expect"] == "no-finding":
            assert fp not in found, e


def test_summary_shows_availability(demo_crawl):
    assert "Availability" in demo_crawl.result.stdout
    assert "failed" in demo_crawl.result.stdout
