"""The re-check plan: every rule maps to the inspectors that produce it; only entries' pages and targets."""

from __future__ import annotations

from scrapy.settings import Settings

from govinspect.rectify.recheck import FULL_RUN_ONLY, build_plan, full_run_reason, inspectors_for, recheck_settings
from govinspect.registry import Site
from govinspect.rules import RULES

PAGE_JUDGED = [  # rules whose inspectors judge the entry's own page (or its homepage) again
    "site.unreachable", "link.broken", "ad.network", "ad.commercial", "ad.hidden-link", "image.flag-misuse",
    "image.emblem-misuse", "image.map-no-approval", "archive.unlabeled", "leak.id-number", "leak.phone",
    "leak.bank-card", "leak.classified-marking", "identity.icp-missing", "identity.psb-missing",
    "identity.conac-missing", "identity.site-code-missing", "identity.name-mismatch", "identity.emblem-missing",
    "freshness.homepage-stale", "freshness.column-stale", "freshness.column-empty", "registry.unregistered-site",
    # issue 10
    "site.availability-low", "link.soft-404", "link.hijacked-external", "security.injected-content",
    "interaction.unanswered", "interaction.reply-fields-missing", "identity.meta-missing",
    "identity.domain-nonstandard", "identity.superior-link-missing", "identity.annual-report-missing",
]


def test_rules_map_to_inspectors_of_the_default_settings():
    settings = Settings()
    settings.setmodule("settings")
    enabled = settings.getdict("INSPECTORS")
    for rule_id in PAGE_JUDGED:
        assert rule_id in RULES
        paths = inspectors_for(rule_id)
        assert paths and all(p in enabled for p in paths), (rule_id, paths)
    # a rule without a mapping (judged from the whole site) is never re-checked by a targeted crawl:
    # running some other inspector would "fix" it by absence; it says why it waits for a full run
    assert inspectors_for("policy.repost-late") == () and "complete run" in full_run_reason("policy.repost-late")
    # every rule of rules.md is either re-checked or said to wait for a full run
    assert sorted(r for r in RULES if not inspectors_for(r) and r not in FULL_RUN_ONLY) == []


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
        _entry("f5", "policy.repost-late", "http://www.parent.gov.cn/zcwj/1.html"),
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


def _plan(entry: dict, site: Site | None = None) -> dict:
    site = site or Site(id="s1", name="甲", organizer="甲局", level="portal", url="http://a.gov.cn/")
    settings = Settings()
    settings.setmodule("settings")
    return build_plan({"number": "N2", "entries": [entry]}, [site], settings.getdict("INSPECTORS"))


def test_plan_of_the_issue_10_rules():
    # site-level homepage rules: the homepage, whatever page the entry names
    for rule in ("site.availability-low", "identity.annual-report-missing", "identity.superior-link-missing",
                 "identity.domain-nonstandard"):
        assert _plan(_entry("f", rule, "http://a.gov.cn/index.html"))["sites"]["s1"]["pages"] == ["http://a.gov.cn/"]
    # soft 404: the referrers and the homepage (the error-page probe); the target fetched as a page if still linked
    soft = _plan(_entry("f", "link.soft-404", "http://a.gov.cn/x", "http://a.gov.cn/old.html"))["sites"]["s1"]
    assert soft["pages"] == ["http://a.gov.cn/x", "http://a.gov.cn/"]
    assert soft["page_targets"] == ["http://a.gov.cn/old.html"]
    # injected: the baseline its finding was judged against travels with the plan
    e = _entry("f", "security.injected-content", "http://a.gov.cn/", "http://evil.example/x.js")
    e["evidence"] = {"kind": "new-host", "host": "evil.example", "previous_run": "run-1"}
    assert _plan(e)["sites"]["s1"]["baseline_run"] == "run-1"
    # unanswered message: its page and the lists that showed it
    e = _entry("f", "interaction.unanswered", "http://a.gov.cn/hd/list.html#某留言")
    e["evidence"] = {"listed_on": ["http://a.gov.cn/hd/list.html", "http://a.gov.cn/hd/list_2.html"]}
    assert _plan(e)["sites"]["s1"]["pages"] == ["http://a.gov.cn/hd/list.html#某留言", "http://a.gov.cn/hd/list.html",
                                                "http://a.gov.cn/hd/list_2.html"]
    # reply fields: the pages of the messages named, only when the evidence names every incomplete one
    e = _entry("f", "interaction.reply-fields-missing", "http://a.gov.cn/")
    e["evidence"] = {"messages_incomplete": 2, "examples": [{"message": "http://a.gov.cn/hd/1.html"},
                                                             {"message": "http://a.gov.cn/hd/list.html#标题"}]}
    assert _plan(e)["sites"]["s1"]["pages"] == ["http://a.gov.cn/hd/1.html", "http://a.gov.cn/hd/list.html"]
    e["evidence"]["messages_incomplete"] = 9
    many = _plan(e)
    assert many["full_run"] == ["f"] and "9 incomplete" in many["full_run_reasons"]["f"]
    # meta tags: the pages recorded, unless the finding was seen on more pages than it records
    e = _entry("f", "identity.meta-missing", "http://a.gov.cn/a.html", referrers=["http://a.gov.cn/b.html"])
    e["occurrences"] = 2
    assert _plan(e)["fingerprints"] == ["f"]
    e["occurrences"] = 40
    assert _plan(e)["full_run"] == ["f"]
