"""Issue → fix the page on the loopback server → ``rectify check`` marks it fixed and closes the list."""

from __future__ import annotations

from openpyxl import load_workbook

from govinspect.rectify.cli import file_stem
from govinspect.store import FindingStore
from tests.rectify.helpers import ID_NUMBER, PHONE, crawl, json_lines, pages, rectify, registry
from tests.support.server import Route, RouteServer, html


def _finding_status(store, fp: str) -> str:
    s = FindingStore(store)
    try:
        return next(r["status"] for r in s.findings() if r["fingerprint"] == fp)
    finally:
        s.close()


def _documents_masked(out, number: str) -> None:
    """The issued xlsx and HTML name the leak but carry only the masked numbers."""
    book = load_workbook(out / f"{file_stem(number)}.xlsx")
    text = "\n".join(str(c.value) for row in book.active.iter_rows() for c in row if c.value is not None)
    page = (out / f"{file_stem(number)}.html").read_text(encoding="utf-8")
    for doc in (text, page):
        assert "泄露身份证号" in doc and ID_NUMBER[:6] + "********" + ID_NUMBER[-4:] in doc
        assert ID_NUMBER not in doc and PHONE not in doc


def test_issue_fix_check_closes_list(tmp_path, store_target):
    store = store_target  # SQLite file, or a database on the PostgreSQL test server
    with RouteServer(pages()) as srv:
        reg = registry(tmp_path, srv)
        crawl(tmp_path, reg, store, "r1")
        issued = rectify(store, "issue", "--date", "2026-09-30", "--out", str(tmp_path / "out"), reg=reg)
        assert issued.returncode == 0, issued.stderr
        lists = {d["organizer"]: d for d in json_lines(issued.stdout)}
        assert set(lists) == {"甲局", "乙局"}
        a, b = lists["甲局"], lists["乙局"]
        # across the National Day holiday (Oct 1-7) to the adjusted working Saturday, Oct 10
        assert a["issued"] == "2026-09-30" and a["deadline"] == "2026-10-10"
        assert a["number"] != b["number"] and a["number"].startswith("整改〔2026〕第")
        assert len(a["entries"]) == 3  # the broken link (high), the ID number (critical), the phones (high)
        assert (tmp_path / "out").is_dir() and len(list((tmp_path / "out").glob("*.xlsx"))) == 2
        _documents_masked(tmp_path / "out", a["number"])

        # site b's unit fixes its page: the old column link is removed
        srv.routes["/b/"] = Route(html("<p>栏目已整合</p>"))
        hits_before = len(srv.hits)
        checked = rectify(store, "check", b["number"], "--date", "2026-10-09")
        assert checked.returncode == 0, checked.stderr[-3000:]
        result = json_lines(checked.stdout)[0]
        assert result == {"number": b["number"], "status": "closed", "overdue": False,
                          "entries": [{"fingerprint": b["entries"][0], "status": "fixed"}]}
        # only the list's page and target were fetched again, nothing of site a
        paths = {p for _, p in srv.hits[hits_before:]}
        assert paths <= {"/b/", "/b/missing.html"} and "/b/" in paths
        assert _finding_status(store, b["entries"][0]) == "fixed"

        # site a fixed nothing: re-check after the deadline leaves it open and overdue
        late = rectify(store, "check", a["number"], "--date", "2026-10-12")
        assert late.returncode == 0, late.stderr[-3000:]
        res = json_lines(late.stdout)[0]
        assert res["status"] == "open" and res["overdue"] is True
        assert {e["status"] for e in res["entries"]} == {"open"}
        assert all(_finding_status(store, fp) == "open" for fp in a["entries"])

        # issuing again adds no duplicates: a's findings are on an open list, b's are fixed
        again = rectify(store, "issue", "--date", "2026-10-12", "--out", str(tmp_path / "out2"))
        assert again.returncode == 0 and json_lines(again.stdout) == []

        listed = json_lines(rectify(store, "list", "--json", "--date", "2026-10-12").stdout)
        by_number = {row["number"]: row for row in listed}
        assert by_number[a["number"]]["overdue"] is True and by_number[a["number"]]["status"] == "open"
        assert by_number[b["number"]]["status"] == "closed" and by_number[b["number"]]["fixed"] == 1

        # a's unit fixes both: a later full run sees it, and the list closes without a re-check
        srv.routes["/a/"] = Route(html('<a href="/a/news.html">新闻</a>'))
        srv.routes["/a/news.html"] = Route(html("<p>公示名单已删除</p>"))
        crawl(tmp_path, reg, store, "r2")
        listed = {r["number"]: r for r in json_lines(rectify(store, "list", "--json").stdout)}
        assert listed[a["number"]]["status"] == "closed" and listed[a["number"]]["fixed"] == 3

        # the problem comes back: a new list with a new number, never a reused one
        srv.routes["/a/"] = Route(html('<a href="/a/news.html">新闻</a><a href="/a/gone.html">失效</a>'))
        crawl(tmp_path, reg, store, "r3")
        third = json_lines(rectify(store, "issue", "--date", "2026-10-20", "--out", str(tmp_path / "o3")).stdout)
        assert [d["organizer"] for d in third] == ["甲局"]
        assert third[0]["number"] not in (a["number"], b["number"])


def test_leaked_file_still_on_the_server_is_not_fixed_by_unlinking_it(tmp_path, store_target):
    """A unit that only removes the link to a leaking file has not fixed the leak; deleting the file has."""
    store = store_target
    csv_body = f"姓名,身份证号\n张三,{ID_NUMBER}\n".encode()
    routes = {
        "/c/": Route(html('<a href="/c/notice.html">公示</a>')),
        "/c/notice.html": Route(html('<a href="/c/list.csv">名单下载</a>')),
        "/c/list.csv": Route(csv_body, headers={"Content-Type": "text/csv; charset=utf-8"}),
    }
    with RouteServer(routes) as srv:
        from tests.support.cli import write_registry

        reg = write_registry(tmp_path / "r.csv", [
            {"id": "3400000003", "name": "丙局网站", "organizer": "丙局", "url": srv.url + "/c/"}])
        crawl(tmp_path, reg, store, "r1")
        issued = json_lines(rectify(store, "issue", "--date", "2026-11-02", "--out", str(tmp_path / "o"),
                                    reg=reg).stdout)
        assert len(issued) == 1 and len(issued[0]["entries"]) == 1  # leak.id-number in the csv
        number = issued[0]["number"]

        srv.routes["/c/notice.html"] = Route(html("<p>名单已撤下</p>"))  # link gone, file still there
        before = len(srv.hits)
        first = json_lines(rectify(store, "check", number, "--date", "2026-11-03").stdout)[0]
        assert first["status"] == "open" and first["entries"][0]["status"] == "open"
        assert ("GET", "/c/list.csv") in srv.hits[before:]  # fetched directly, though no page links it

        del srv.routes["/c/list.csv"]  # now the file is deleted too
        second = json_lines(rectify(store, "check", number, "--date", "2026-11-04").stdout)[0]
        assert second["status"] == "closed" and second["entries"][0]["status"] == "fixed"


def test_recheck_sees_a_page_as_the_crawl_did(tmp_path):
    """An archive page known as one by the link text that leads to it: the re-check carries that text,
    so an unchanged page stays open (absence of context is not a fix) and a labelled one is fixed."""
    from tests.support.cli import FAST, govinspect, write_registry

    store = tmp_path / "s.sqlite3"
    # the link inspector records links with their texts (on by default); the re-check runs the archive one only
    archive = ["-s", 'INSPECTORS={"inspectors.links.BrokenLinkInspector": 100, '
               '"inspectors.archives.ArchiveInspector": 400}']
    routes = {"/e/": Route(html('<a href="/e/lishi/old.html">历史网站</a>')),
              "/e/lishi/old.html": Route(html("<p>2015年旧版网站首页</p>"))}
    with RouteServer(routes) as srv:
        reg = write_registry(tmp_path / "r.csv", [
            {"id": "3400000004", "name": "丁局网站", "organizer": "丁局", "url": srv.url + "/e/"}])
        result = govinspect("crawl", "--registry", str(reg), "--store", str(store), *FAST, *archive)
        assert result.returncode == 0, result.stderr[-2000:]
        issued = json_lines(govinspect("rectify", "issue", "--min-severity", "medium", "--date", "2026-11-02",
                                       "--out", str(tmp_path / "o"), "--store", str(store), "--registry", str(reg),
                                       *FAST, *archive).stdout)
        assert len(issued) == 1 and len(issued[0]["entries"]) == 1
        number = issued[0]["number"]

        def check(day: str) -> dict:
            out = govinspect("rectify", "check", number, "--date", day, "--store", str(store), *FAST, *archive)
            assert out.returncode == 0, out.stderr[-2000:]
            return json_lines(out.stdout)[0]

        assert check("2026-11-03")["entries"][0]["status"] == "open"
        assert check("2026-11-03")["entries"][0]["status"] == "open"  # again: the crawl's link texts still used
        srv.routes["/e/lishi/old.html"] = Route(html("<p>已归档 归档时间：2020-01-01</p><p>2015年旧版网站首页</p>"))
        assert check("2026-11-04")["status"] == "closed"
