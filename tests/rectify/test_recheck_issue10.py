"""``rectify check`` re-checks the issue-10 rules with a targeted crawl: each list is checked while
nothing changed (decoy: every entry stays open), then after the unit fixed its pages (the entries close).

Real crawls, real loopback servers, the real command (``tests/support/cli.py``).
"""

from __future__ import annotations

from pathlib import Path

from tests.rectify.helpers import json_lines
from tests.support.cli import FAST, clean_env, govinspect, write_registry
from tests.support.server import Route, RouteServer

ENV = clean_env(no_proxy="127.0.0.1,localhost")


def _inspectors(*paths: str) -> list[str]:
    body = ", ".join(f'"{p}": {100 + i}' for i, p in enumerate(paths))
    return ["-s", "INSPECTORS={" + body + "}"]


def _html(body: str, title: str = "示例县人民政府") -> bytes:
    return f"<html><head><title>{title}</title></head><body>{body}</body></html>".encode()


def _run(*args: str) -> str:
    result = govinspect(*args, *FAST, env=ENV)
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


class Unit:
    """One registry, one store: crawl, issue, check."""

    def __init__(self, tmp: Path, rows: list[dict[str, str]], inspectors: list[str], as_of: str = "2026-11-20"):
        self.store, self.tmp, self.inspectors, self.as_of = tmp / "s.sqlite3", tmp, inspectors, as_of
        self.registry = write_registry(tmp / "r.csv", rows)

    def crawl(self, run_id: str) -> None:
        _run("crawl", "--registry", str(self.registry), "--store", str(self.store), "--run-id", run_id,
             "--as-of", self.as_of, *self.inspectors)

    def issue(self) -> dict[str, dict]:
        out = _run("rectify", "issue", "--min-severity", "low", "--date", self.as_of, "--out", str(self.tmp / "lists"),
                   "--registry", str(self.registry), "--store", str(self.store))
        return {d["organizer"]: d for d in json_lines(out)}

    def check(self, number: str, day: str) -> dict:
        out = _run("rectify", "check", number, "--date", day, "--registry", str(self.registry),
                   "--store", str(self.store))
        return json_lines(out)[0]

    def rules(self, fingerprints: list[str]) -> dict[str, str]:
        from govinspect.store import FindingStore

        db = FindingStore(self.store)
        try:
            return {r["fingerprint"]: r["rule"] for r in db.findings() if r["fingerprint"] in fingerprints}
        finally:
            db.close()


def _by_rule(unit: Unit, result: dict) -> dict[str, str]:
    rules = unit.rules([e["fingerprint"] for e in result["entries"]])
    return {rules[e["fingerprint"]]: e["status"] for e in result["entries"]}


def test_soft404_hijacked_and_injected_entries(tmp_path):
    with RouteServer() as outside, RouteServer() as site:
        evil = f"{outside.url.replace('127.0.0.1', 'localhost')}/js/jquery.min.js"  # a new host on loopback
        outside.routes.update({
            "/js/jquery.min.js": Route(b"/* injected */", headers={"Content-Type": "application/javascript"}),
            "/partner/": Route(_html("<h1>该域名出售</h1><p>联系我们购买此域名</p>", "domain for sale")),
            "/news/": Route(_html("<h1>新闻网</h1><p>体育彩票公益金助力全民健身。</p>" * 5, "新闻网")),
        })
        links = (f"<a href='/xxgk/old.html'>旧文件</a><a href='/xxgk/more.html'>更多</a>"
                 f"<a href='{outside.url}/partner/'>合作单位</a><a href='{outside.url}/news/'>新闻网</a>")
        home = f"<h1>示例县</h1>{links}"
        more = f"<p>{'正文内容。' * 200}</p><a href='/xxgk/old.html'>旧文件</a><a href='{outside.url}/partner/'>合作</a>"
        site.routes.update({
            "/": Route(_html(home)),
            "/xxgk/old.html": Route(_html("<h1>404</h1><p>您访问的页面不存在</p>", "404 页面不存在")),
            "/xxgk/more.html": Route(_html(more, "更多信息")),
        })
        unit = Unit(tmp_path, [{"id": "3416990001", "name": "示例县人民政府", "organizer": "示例县", "url": site.url + "/"}],
                    _inspectors("inspectors.links.BrokenLinkInspector", "inspectors.soft404.Soft404Inspector",
                                "inspectors.hijacked.HijackedExternalInspector",
                                "inspectors.injected.InjectedContentInspector"))
        unit.crawl("run-1")  # the baseline of script hosts
        site.routes["/"] = Route(_html(home + f"<script src='{evil}'></script>"))
        unit.crawl("run-2")
        (lst,) = unit.issue().values()

        # decoy: nothing fixed. The injected script was on the site in run-2 (the latest complete run):
        # judged against run-2 it would look old, so it would be "fixed" while still there
        before = len(outside.hits)
        first = unit.check(lst["number"], "2026-11-21")
        assert _by_rule(unit, first) == {"link.soft-404": "open", "link.hijacked-external": "open",
                                         "security.injected-content": "open"}
        assert first["status"] == "open"
        # only the planned landing page was fetched again, not every external link of the pages
        fetched = {p for _, p in outside.hits[before:]}
        assert "/partner/" in fetched and "/news/" not in fetched

        # the unit fixes everything: the script is gone, the old file has content again, the sold link is gone
        site.routes["/"] = Route(_html(home.replace(f"<a href='{outside.url}/partner/'>合作单位</a>", "")))
        site.routes["/xxgk/old.html"] = Route(_html(f"<h1>2025年工作总结</h1><p>{'总结正文。' * 100}</p>", "工作总结"))
        site.routes["/xxgk/more.html"] = Route(_html(more.replace(f"<a href='{outside.url}/partner/'>合作</a>", ""),
                                                     "更多信息"))
        second = unit.check(lst["number"], "2026-11-22")
        assert second["status"] == "closed", second
        assert set(_by_rule(unit, second).values()) == {"fixed"}


def test_soft404_link_still_pointing_at_an_error_page_stays_open_even_if_one_page_dropped_it(tmp_path):
    """Decoy: one referrer fixed, the other still links the error page."""
    with RouteServer() as site:
        site.routes.update({
            "/": Route(_html("<a href='/old.html'>旧文件</a><a href='/b.html'>其他</a>")),
            "/b.html": Route(_html(f"<p>{'正文。' * 300}</p><a href='/old.html'>旧文件</a>", "其他")),
            "/old.html": Route(_html("<h1>页面不存在</h1>", "页面不存在")),
        })
        unit = Unit(tmp_path, [{"id": "3416990002", "name": "示例县人民政府", "organizer": "甲", "url": site.url + "/"}],
                    _inspectors("inspectors.links.BrokenLinkInspector", "inspectors.soft404.Soft404Inspector"))
        unit.crawl("run-1")
        (lst,) = unit.issue().values()
        site.routes["/"] = Route(_html("<a href='/b.html'>其他</a>"))
        assert unit.check(lst["number"], "2026-11-21")["entries"][0]["status"] == "open"
        site.routes["/b.html"] = Route(_html(f"<p>{'正文。' * 300}</p>", "其他"))
        assert unit.check(lst["number"], "2026-11-22")["status"] == "closed"


def test_availability_entry_closes_when_the_window_recovers(tmp_path):
    """A targeted re-check of availability: the homepage answer is one more probe, and the 7-day
    window is judged as a complete run would judge it now."""
    ok = _html("<h1>示例县人民政府</h1><p>" + "欢迎访问。" * 50 + "</p>")
    with RouteServer({"/": Route(_html("<h1>系统维护中</h1><p>系统维护中，请稍后访问</p>", "系统维护中"))}) as site:
        unit = Unit(tmp_path, [{"id": "3416990003", "name": "示例县人民政府", "organizer": "丙", "url": site.url + "/"}],
                    _inspectors("inspectors.availability.AvailabilityInspector"))

        def probe(count: int) -> None:
            _run("probe", "--registry", str(unit.registry), "--store", str(unit.store), "--count", str(count),
                 "--interval", "0")

        probe(3)  # three maintenance answers
        site.routes["/"] = Route(ok)
        probe(17)
        unit.crawl("run-1")  # 3 failed of 21: 14 %
        (lst,) = unit.issue().values()
        first = unit.check(lst["number"], "2026-11-21")  # 3 of 22: still above 3 %
        assert first["entries"][0]["status"] == "open" and "awaiting_full_run" not in first["entries"][0]
        probe(80)  # 3 of 102, then the re-check's own homepage answer: 3 of 103, below 3 %
        assert unit.check(lst["number"], "2026-11-22")["status"] == "closed"


LIST = "/hd/list.html"


def _messages(first_status: str, second_page: str) -> dict[str, Route]:
    def row(path: str, title: str, submitted: str, replied: str, status: str) -> str:
        return (f"<tr><td><a href='{path}' title='{title}'>{title}</a></td><td>{submitted}</td><td>{replied}</td>"
                f"<td>{status}</td></tr>")

    replied = "2026-06-08" if first_status == "已回复" else ""
    table = ("<table class='lyb'><tr><th>留言标题</th><th>留言时间</th><th>回复时间</th><th>办理状态</th></tr>"
             + row("/hd/1.html", "小区路灯损坏何时维修", "2026-05-01", replied, first_status)
             + row("/hd/2.html", "社保转移", "2026-03-02", "2026-03-05", "已回复") + "</table>")
    first = ("<h1>小区路灯损坏何时维修</h1><div class='msg'><p>留言时间：2026-05-01</p><p>留言内容：路灯坏了。</p>"
             + ("<p>答复部门：市城管局</p><p>答复时间：2026-06-08</p><p>答复内容：已修复。</p>" if replied
                else "<p>答复内容：暂无</p>") + "</div>")
    return {
        "/": Route(_html("<a href='/hd/list.html'>留言选登</a>", "示例市人民政府")),
        LIST: Route(_html(table, "留言选登")),
        "/hd/1.html": Route(_html(first, "留言详情")),
        "/hd/2.html": Route(_html(second_page, "留言详情")),
    }


def test_interaction_entries(tmp_path):
    incomplete = ("<h1>社保转移</h1><div class='msg'><p>留言时间：2026-03-02</p><p>答复时间：2026-03-05</p>"
                  "<p>答复内容：您好，已转办。</p></div>")  # no 答复部门
    complete = ("<h1>社保转移</h1><div class='msg'><p>留言时间：2026-03-02</p><p>答复部门：市人社局</p>"
                "<p>答复时间：2026-03-05</p><p>答复内容：您好，已转办。</p></div>")
    with RouteServer(_messages("未回复", incomplete)) as site:
        unit = Unit(tmp_path, [{"id": "3416990004", "name": "示例市人民政府", "organizer": "丁", "url": site.url + "/"}],
                    _inspectors("inspectors.links.BrokenLinkInspector", "inspectors.interaction.InteractionInspector"))
        unit.crawl("run-1")
        (lst,) = unit.issue().values()
        first = unit.check(lst["number"], "2026-11-21")
        assert _by_rule(unit, first) == {"interaction.unanswered": "open", "interaction.reply-fields-missing": "open"}
        site.routes.update(_messages("已回复", complete))
        second = unit.check(lst["number"], "2026-11-22")
        assert second["status"] == "closed", _by_rule(unit, second)


def test_identity_entries_and_what_waits_for_a_full_run(tmp_path):
    """Meta tags, the superior link and the annual report close once fixed; the loopback host (an IP
    address) is still a non-standard domain, so that entry stays open (its decoy)."""
    head = "<meta name='SiteName' content='示例局'><meta name='SiteDomain' content='x'>"
    with RouteServer() as site:
        parent_url, child_url = site.url + "/p/", site.url + "/c/"
        site.routes.update({
            "/p/": Route(_html("<h1>示例市</h1>", "示例市人民政府")),
            "/c/": Route(_html(f"<h1>示例局</h1>{head}", "示例局")),
        })
        unit = Unit(tmp_path, [
            {"id": "3416990005", "name": "示例市人民政府", "organizer": "示例市", "url": parent_url},
            {"id": "3416990006", "name": "示例局", "organizer": "示例局", "url": child_url, "level": "department",
             "parent": "3416990005"}],
            _inspectors("inspectors.identity_meta.MetaTagInspector", "inspectors.identity_site.SiteIdentityInspector"))
        unit.crawl("run-1")
        lst = unit.issue()["示例局"]
        first = unit.check(lst["number"], "2026-11-21")
        assert _by_rule(unit, first) == {"identity.meta-missing": "open", "identity.domain-nonstandard": "open",
                                         "identity.superior-link-missing": "open",
                                         "identity.annual-report-missing": "open"}
        site.routes["/c/"] = Route(_html(
            f"<h1>示例局</h1>{head}<meta name='SiteIDCode' content='3416990006'><a href='{parent_url}'>示例市人民政府</a>"
            "<a href='/c/nb.html'>2025年政府网站工作年度报表</a>", "示例局"))
        second = unit.check(lst["number"], "2026-11-22")
        assert _by_rule(unit, second) == {"identity.meta-missing": "fixed", "identity.domain-nonstandard": "open",
                                          "identity.superior-link-missing": "fixed",
                                          "identity.annual-report-missing": "fixed"}
        assert second["status"] == "open"


def test_policy_repost_entry_is_reported_as_awaiting_a_full_run(tmp_path):
    """A rule no targeted re-check can judge: the entry stays open, and says so (JSON, documents)."""
    from datetime import date

    from govinspect.config import build_settings
    from govinspect.findings import Observation
    from govinspect.rectify.cli import check_json
    from govinspect.rectify.lists import IssueOptions, issue_lists
    from govinspect.rectify.recheck import FULL_RUN_NOTE, check_list
    from govinspect.rectify.texts import entry_status
    from govinspect.registry import Registry, Site
    from govinspect.store import FindingStore

    portal = Site(id="3416990007", name="示例市人民政府", organizer="示例市", level="portal", url="http://127.0.0.1:9/p/")
    child = Site(id="3416990008", name="示例局", organizer="示例局", level="department", url="http://127.0.0.1:9/c/",
                 parent=portal.id)
    registry = Registry([portal, child])
    extra = {"GOVINSPECT_STORE": str(tmp_path / "s.sqlite3")}
    settings = build_settings(None, [], extra)
    store = FindingStore.from_settings(settings)
    try:
        store.start_run("run-1", "2026-11-20", {"sites": 2}, registry)
        store.add_observation("run-1", Observation(
            rule="policy.repost-late", site_id=child.id, page_url="http://127.0.0.1:9/p/zcwj/1.html",
            message="未及时转载", evidence={}), child.url)
        store.finalize_site("run-1", child, True, "finished")
        (lst,) = issue_lists(store, IssueOptions(as_of=date(2026, 11, 20), min_severity="low"))
    finally:
        store.close()
    after, code, warnings = check_list(settings, (None, [], extra), lst["number"], date(2026, 11, 21), registry)
    assert code == 0 and after["status"] == "open"
    (entry,) = check_json(after, date(2026, 11, 21))["entries"]
    assert entry["status"] == "open" and entry["awaiting_full_run"] is True
    assert any("awaiting a full run" in w and "complete run" in w for w in warnings)
    assert after["entries"][0]["check_note"] == FULL_RUN_NOTE and FULL_RUN_NOTE in entry_status(after["entries"][0])
