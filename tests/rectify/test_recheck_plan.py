"""The re-check plan: every rule maps to the inspectors that produce it; only entries' pages and targets."""

from __future__ import annotations

from scrapy.settings import Settings

from govinspect.rectify.recheck import build_plan, inspectors_for, recheck_settings
from govinspect.registry import Site
from govinspect.rules import RULES

PAGE_JUDGED = [  # rules whose inspectors judge the entry's own page (or its homepage) again
    "site.unreachable", "link.broken", "ad.network", "ad.commercial", "ad.hidden-link", "image.flag-misuse",
    "image.emblem-misuse", "image.map-no-approval", "archive.unlabeled", "leak.id-number", "leak.phone",
    "leak.bank-card", "leak.classified-marking", "identity.icp-missing", "identity.psb-missing",
    "identity.conac-missing", "identity.site-code-missing", "identity.name-mismatch", "identity.emblem-missing",
    "freshness.homepage-stale", "freshness.column-stale", "freshness.column-empty", "registry.unregistered-site",
]


def test_rules_map_to_inspectors_of_the_default_settings():
    settings = Settings()
    settings.setmodule("settings")
    enabled = settings.getdict("INSPECTORS")
    for rule_id in PAGE_JUDGED:
        assert rule_id in RULES
        paths = inspectors_for(rule_id)
        assert paths and all(p in enabled for p in paths), (rule_id, paths)
    # a rule without a mapping (one added later, judged from probes or the whole site) is never re-checked
    # by a targeted crawl: running some other inspector would "fix" it by absence
    assert inspectors_for("site.availability-low") == ()


def _entry(fp, rule, page, target=None, status="open", referrers=()):
    return {"fingerprint": fp, "rule": rule, "site_id": "s1", "page_url": page, "target_url": target,
            "status": status, "referrers": list(referrers)}


def test_plan_only_pages_targets_and_inspectors_of_open_entries(tmp_path):
    site = Site(id="s1", name="甲", organizer="甲局", level="portal", url="http://a.gov.cn/")
    lst = {"number": "N1", "entries": [
        _entry("f1", "link.broken", "http://a.gov.cn/", "http://a.gov.cn/gone", referrers=["http://a.gov.cn/x"]),
        _entry("f2", "leak.phone", "http://a.gov.cn/news"),
        _entry("f3", "ad.network", "http://a.gov.cn/ad", "http://ads.example/", status="fixed"),
        _entry("f4", "site.unreachable", "http://a.gov.cn/index.html"),
        _entry("f5", "site.availability-low", "http://a.gov.cn/"),
    ]}
    enabled = {"inspectors.links.BrokenLinkInspector": 100, "inspectors.leaks.LeakInspector": 300,
               "inspectors.ads_network.AdNetworkInspector": 200, "inspectors.reachability.ReachabilityInspector": 110}
    plan = build_plan(lst, [site], enabled, {"http://a.gov.cn/news": "新闻"})
    assert plan["fingerprints"] == ["f1", "f2", "f4"]  # the fixed entry is not fetched again
    assert plan["full_run"] == ["f5"]
    assert plan["sites"]["s1"]["link_texts"] == {"http://a.gov.cn/news": "新闻"}
    assert plan["sites"]["s1"]["pages"] == ["http://a.gov.cn/", "http://a.gov.cn/x", "http://a.gov.cn/news"]
    assert plan["sites"]["s1"]["targets"] == ["http://a.gov.cn/gone"]
    assert set(plan["inspectors"]) == {"inspectors.links.BrokenLinkInspector", "inspectors.leaks.LeakInspector",
                                       "inspectors.reachability.ReachabilityInspector"}
    # an inspector switched off: its entries are left open, not judged
    off = build_plan(lst, [site], {**enabled, "inspectors.leaks.LeakInspector": None})
    assert off["skipped"] == ["f2"] and "f2" not in off["fingerprints"]
    base = Settings()
    base.setmodule("settings")
    extra = recheck_settings(base, tmp_path / "plan.json", plan["inspectors"])
    assert "pipelines.store.StorePipeline" not in extra["ITEM_PIPELINES"]
    assert "pipelines.recheck.RecheckPipeline" in extra["ITEM_PIPELINES"]


def test_unknown_number_is_bad_input(tmp_path):
    from tests.support.cli import govinspect

    result = govinspect("rectify", "check", "ZG-2026-9999", "--store", str(tmp_path / "s.sqlite3"))
    assert result.returncode == 2 and "ZG-2026-9999" in result.stderr
    listed = govinspect("rectify", "list", "--store", str(tmp_path / "s.sqlite3"))
    assert listed.returncode == 0 and "no rectification lists yet" in listed.stderr
