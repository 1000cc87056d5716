"""The demo's download-endpoint seed: attachments behind CMS endpoints are scanned, a page behind one is not."""

from __future__ import annotations

from govinspect.urls import normalize_url


def test_endpoint_attachments_scanned_and_page_decoy_left_alone(demo_crawl):
    leaks = {r["target_url"] for r in demo_crawl.db.execute(
        "SELECT target_url FROM findings WHERE rule LIKE 'leak.%' AND target_url IS NOT NULL")}
    entries = [e for e in demo_crawl.cluster.entries if e.get("note", "").startswith(("JCMS", "attachment.do",
                                                                                        "download endpoint"))]
    assert len(entries) == 7
    for e in entries:
        target = normalize_url(e["target_url"])
        checks = [dict(r) for r in demo_crawl.db.execute("SELECT * FROM link_checks WHERE target_url=?", (target,))]
        assert (target in leaks) == (e["expect"] == "finding"), (e, checks)
