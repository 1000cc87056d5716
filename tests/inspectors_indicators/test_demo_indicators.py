"""The demo cluster crawled end to end (the session's ``demo_crawl``): the issue-10 rules find exactly
their seeded problems, under the keys of rules.md, and leave every decoy alone."""

from __future__ import annotations

import json

from govinspect.findings import finding_key, fingerprint

RULES = (
    "interaction.unanswered", "interaction.reply-fields-missing", "policy.repost-late", "identity.meta-missing",
    "identity.domain-nonstandard", "identity.superior-link-missing", "identity.annual-report-missing",
)


def _fingerprint(entry: dict, site_urls: dict[str, str]) -> str:
    site_url = site_urls[entry["site_id"]]
    key = entry.get("key") or finding_key(entry["rule"], site_url, entry["page_url"] or site_url, entry["target_url"])
    return fingerprint(entry["site_id"], entry["rule"], key)


def test_issue10_findings_equal_the_manifest_and_decoys_stay_clean(demo_crawl):
    manifest = json.loads(demo_crawl.cluster.manifest_path.read_text(encoding="utf-8"))
    urls = {s["id"]: s["url"] for s in manifest["sites"]}
    entries = [e for e in demo_crawl.cluster.entries if e["rule"] in RULES]
    expected = {_fingerprint(e, urls): e for e in entries if e["expect"] == "finding"}
    decoys = {_fingerprint(e, urls): e for e in entries if e["expect"] == "no-finding"}
    assert {e["rule"] for e in expected.values()} == set(RULES)  # every rule is seeded
    assert {e["rule"] for e in decoys.values()} == set(RULES)  # and has a decoy
    marks = ",".join("?" * len(RULES))
    found = {r["fingerprint"]: dict(r) for r in demo_crawl.db.execute(
        f"SELECT * FROM findings WHERE rule IN ({marks})", RULES)}
    missing = [(e["rule"], e["site_id"], e.get("key") or e["target_url"] or e["page_url"])
               for fp, e in expected.items() if fp not in found]
    unexpected = [(r["rule"], r["site_id"], r["page_url"], r["target_url"], r["message"])
                  for fp, r in found.items() if fp not in expected]
    assert not missing and not unexpected, f"missing: {missing}\nunexpected: {unexpected}"
    assert not set(decoys) & set(found)


def test_issue10_evidence(demo_crawl):
    rows = {(r["rule"], r["site_id"]): dict(r) for r in demo_crawl.db.execute("SELECT * FROM findings")}
    late = [json.loads(r["evidence"]) for r in demo_crawl.db.execute(
        "SELECT evidence FROM findings WHERE rule='policy.repost-late'")]
    assert sorted(e["delay_hours"] for e in late if e["copy_url"]) == [29.5]
    meta = [json.loads(r["evidence"]) for r in demo_crawl.db.execute(
        "SELECT evidence FROM findings WHERE rule='identity.meta-missing'")]
    assert all({"page_kind", "tag"} <= set(e) for e in meta)
    fields = json.loads(rows[("interaction.reply-fields-missing", "3416000001")]["evidence"])
    assert fields["missing_counts"] == {"答复部门": 1}
