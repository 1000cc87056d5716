"""Item 2 of issue 11: one bad href must not hide the rest of a page, and lost evidence never marks a
finding fixed."""

from __future__ import annotations

import sqlite3

from crawler.links import MALFORMED, extract_links
from tests.support.cli import FAST, govinspect, write_registry
from tests.support.server import Route, RouteServer, html

LEAK = html("<p>困难群众名单：张三 身份证号 341602199201010017</p>")
LEAKS = ["-s", 'INSPECTORS={"inspectors.links.BrokenLinkInspector": 100, "inspectors.leaks.LeakInspector": 300}']
CRASHING = ["-s", 'INSPECTORS={"inspectors.links.BrokenLinkInspector": 100, '
                  '"tests.hostile.boom.CrashingLeakInspector": 300}']
BAD_HREFS = ["http://a:b:c/", "http://[::1/", "http://127.0.0.1:99999/x", "http://exa mple.com/"]


def test_malformed_hrefs_are_links_of_their_own_kind():
    from lxml import html as lhtml

    tree = lhtml.fromstring("".join(f'<a href="{h}">bad</a>' for h in BAD_HREFS) + '<a href="/ok.html">ok</a>')
    links = extract_links(tree, "http://www.example-city.gov.cn/")
    assert [link.kind for link in links] == [MALFORMED] * 4 + ["page"]
    assert links[-1].url == "http://www.example-city.gov.cn/ok.html"


def _run(srv_url: str, tmp_path, run_id: str, *extra: str):
    registry = write_registry(tmp_path / "r.csv", [
        {"id": "3416000001", "name": "测试", "organizer": "测试", "url": srv_url + "/"}])
    store = tmp_path / "s.sqlite3"
    result = govinspect("crawl", "--registry", str(registry), "--store", str(store), "--run-id", run_id,
                        "--as-of", "2026-11-20", *FAST, *extra)
    return result, sqlite3.connect(store)


def test_bad_href_hides_nothing_and_is_a_broken_link(tmp_path):
    with RouteServer({"/": Route(html('<a href="/list.html">名单</a>')), "/list.html": Route(LEAK)}) as srv:
        result, db = _run(srv.url, tmp_path, "r1", *LEAKS)
        assert result.returncode == 0, result.stderr[-2000:]
        assert db.execute("SELECT status FROM findings WHERE rule='leak.id-number'").fetchone() == ("open",)
        # run 2: bad hrefs come before the link to the page with the leak
        srv.routes["/"] = Route(html("".join(f'<a href="{h}">坏</a>' for h in BAD_HREFS)
                                     + '<a href="/list.html">名单</a>'))
        result, db = _run(srv.url, tmp_path, "r2", *LEAKS)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "Traceback" not in result.stderr and "ValueError" not in result.stderr, result.stderr[-3000:]
    assert db.execute("SELECT status FROM findings WHERE rule='leak.id-number'").fetchone() == ("open",)
    broken = dict(db.execute("SELECT target_url, json_extract(evidence, '$.error') FROM findings"
                             " WHERE rule='link.broken'"))
    assert sorted(broken.values()) == ["malformed-url"] * 4, broken
    assert {"http://a:b:c/", "http://127.0.0.1:99999/x"} <= set(broken)  # as written, not "http://a/"
    assert db.execute("SELECT completed FROM run_sites WHERE run_id='r2'").fetchone() == (1,)


def test_an_exception_on_a_page_makes_the_site_incomplete(tmp_path):
    routes = {"/": Route(html('<a href="/boom.html">名单</a><a href="/gone.html">坏</a>')), "/boom.html": Route(LEAK)}
    with RouteServer(routes) as srv:
        result, db = _run(srv.url, tmp_path, "r1", *LEAKS)
        assert db.execute("SELECT status FROM findings WHERE rule='leak.id-number'").fetchone() == ("open",)
        result, db = _run(srv.url, tmp_path, "r2", *CRASHING)
    # the leak was not seen again because the inspector crashed: it must stay open
    assert db.execute("SELECT status FROM findings WHERE rule='leak.id-number'").fetchone() == ("open",)
    completed, reason = db.execute("SELECT completed, reason FROM run_sites WHERE run_id='r2'").fetchone()
    assert completed == 0 and "CrashingLeakInspector" in reason
    # decoy: a run without the crash completes the site
    assert db.execute("SELECT completed FROM run_sites WHERE run_id='r1'").fetchone() == (1,)


def test_incompleteness_is_shared_by_the_run_state_backends():
    """A mark made in one process must reach the process that folds the site: memory and Redis alike."""
    from govinspect.completeness import incomplete_reason, mark_incomplete
    from govinspect.runstate.memory import MemoryRunState
    from govinspect.runstate.redis import RedisRunState
    from tests.support.redis import redis_url, unique_prefix

    redis_state = RedisRunState.from_url("hostile-incomplete", redis_url(), prefix=unique_prefix())
    for state in (MemoryRunState("hostile-incomplete"), redis_state):
        try:
            state.begin({"3416000001": 10, "3416000002": 10})
            for site in ("3416000001", "3416000002"):
                state.homepage_fetched(site, True)
            mark_incomplete(state, "3416000001", "inspector X failed on page http://a/")
            mark_incomplete(state, "3416000001", "a second reason")
            assert incomplete_reason(state, "3416000001") == "inspector X failed on page http://a/"
            assert state.progress("3416000001").completion("finished")[0] is False
            assert state.progress("3416000002").completion("finished") == (True, "completed")  # decoy
        finally:
            state.purge()
