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


def test_exports_carry_the_new_rules(demo_crawl, tmp_path):
    import csv

    from openpyxl import load_workbook

    from govinspect.export import export
    from govinspect.store import FindingStore

    store = FindingStore(demo_crawl.store)
    for fmt in ("jsonl", "csv", "xlsx"):
        export(store.findings(), fmt, tmp_path / f"f.{fmt}")
    store.close()
    jsonl = [json.loads(line) for line in (tmp_path / "f.jsonl").read_text(encoding="utf-8").splitlines()]
    assert set(RULES) <= {r["rule"] for r in jsonl}
    avail = next(r for r in jsonl if r["rule"] == "site.availability-low")
    assert avail["evidence"]["expected_per_day"] == 20 and "target_url" not in avail
    with (tmp_path / "f.csv").open(encoding="utf-8-sig") as fh:
        assert set(RULES) <= {row["rule"] for row in csv.DictReader(fh)}
    sheet = load_workbook(tmp_path / "f.xlsx", read_only=True).active
    cells = {c for row in sheet.iter_rows(values_only=True) for c in row if isinstance(c, str)}
    assert set(RULES) <= cells
