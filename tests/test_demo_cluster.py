"""The bundled demo cluster, crawled end to end: every seeded problem found, every decoy left alone.

Expected findings come from the cluster's manifest; their fingerprints are computed with the same
key rules as the store (``rules.md``), so a finding under the wrong key counts as missing.
"""

from __future__ import annotations

import json
from collections import defaultdict

from govinspect.findings import LinkRef, finding_key, fingerprint
from govinspect.urls import normalize_url


def _site_urls(demo) -> dict[str, str]:
    return {s["id"]: s["url"] for s in json.loads(demo.cluster.manifest_path.read_text())["sites"]}


def test_every_seeded_finding_is_found_under_its_key(demo_crawl):
    urls = _site_urls(demo_crawl)
    expected: dict[str, set[str]] = defaultdict(set)
    for e in demo_crawl.cluster.entries:
        if e["expect"] == "finding" and e["rule"]:
            key = e.get("key") or finding_key(
                e["rule"], urls[e["site_id"]], e["page_url"] or urls[e["site_id"]], e["target_url"])
            expected[e["rule"]].add(fingerprint(e["site_id"], e["rule"], key))
    found: dict[str, set[str]] = defaultdict(set)
    for row in demo_crawl.db.execute("SELECT rule, fingerprint FROM findings"):
        found[row["rule"]].add(row["fingerprint"])
    missing = {rule: len(fps - found[rule]) for rule, fps in expected.items() if fps - found[rule]}
    assert not missing, f"seeded findings not found, by rule: {missing}"
    assert {"link.broken", "site.unreachable"} <= set(expected)


def test_decoys_are_not_findings(demo_crawl):
    broken = {r["target_url"] for r in demo_crawl.db.execute("SELECT target_url FROM findings WHERE rule='link.broken'")}
    for e in demo_crawl.cluster.entries:
        url = e["target_url"] or ""
        if e["expect"] in ("not-broken", "blocked") or (e["expect"] == "not-link" and url.startswith("http")):
            assert normalize_url(url) not in broken, e


def test_blocked_answers_are_counted(demo_crawl):
    blocked = [e for e in demo_crawl.cluster.entries if e["expect"] == "blocked"]
    rows = {r["target_url"]: r for r in demo_crawl.db.execute("SELECT * FROM link_checks WHERE blocked=1")}
    for e in blocked:
        assert normalize_url(e["target_url"]) in rows, e
    assert "Blocked" in demo_crawl.result.stdout


def test_traps_are_capped(demo_crawl):
    """The endless calendar and session-id variants do not eat the page budget."""
    pages = [r["target_url"] for r in demo_crawl.db.execute("SELECT target_url FROM link_checks")]
    calendar = [u for u in pages if "/calendar" in u]
    assert 0 < len(calendar) <= 14, len(calendar)
    assert not any("jsessionid" in u.lower() for u in pages)
    sites = {r["site_id"]: r for r in demo_crawl.db.execute("SELECT * FROM run_sites")}
    assert sites["3416000001"]["completed"] == 1


def test_gbk_pages_decoded(demo_crawl):
    texts = {r.text for r in _link_refs(demo_crawl)}
    decoded = [e for e in demo_crawl.cluster.entries if e["expect"] == "decoded"]
    assert decoded
    for e in decoded:
        assert any(e["text"] in t for t in texts) or _title_seen(demo_crawl, e), e


def _link_refs(demo_crawl):
    """The run's link references, expanded from the store's one row per page."""
    rows = demo_crawl.db.execute("SELECT site_id, page_url, refs FROM page_links").fetchall()
    for row in rows:
        for line in row["refs"].splitlines():
            target, tag, text = line.split("\t", 2)
            yield LinkRef(row["site_id"], row["page_url"], target, tag, text)


def _title_seen(demo_crawl, entry) -> bool:
    """Decoded text may be a page title rather than a link text: look at the findings' evidence too."""
    rows = demo_crawl.db.execute("SELECT evidence, message FROM observations").fetchall()
    return any(entry["text"] in (r["evidence"] + r["message"]) for r in rows)


def test_every_link_kind_is_collected(demo_crawl):
    refs = defaultdict(set)
    for r in _link_refs(demo_crawl):
        refs[r.target_url].add(r.tag)
    for e in demo_crawl.cluster.entries:
        if e["expect"] == "link":
            assert normalize_url(e["target_url"]) in refs, e


def test_rendered_portal_gives_evidence_screenshots(demo_crawl):
    """The city portal renders (render=auto): its homepage findings carry a screenshot that exists."""
    from pathlib import Path

    from PIL import Image

    shots = [r["screenshot"] for r in demo_crawl.db.execute(
        "SELECT screenshot FROM findings WHERE site_id='3416000001' AND screenshot IS NOT NULL")]
    assert shots
    for shot in shots:
        with Image.open(Path(shot)) as img:
            assert img.width > 10 and img.height > 10 and img.convert("L").getextrema()[0] < 250
