"""Item 6 of issue 11: a page with 100k links, and a homepage with thousands of targets, cost bounded work."""

from __future__ import annotations

import sqlite3

from tests.support.cli import FAST, LINKS_ONLY, govinspect, write_registry
from tests.support.server import Route, RouteServer, html


def test_freshness_dates_read_only_nearby_siblings():
    """``item_date`` read list(a.itersiblings())[:3]: every sibling of every link (quadratic: 20k links
    took 16 s). Counted, not timed: elements that count the siblings handed out."""
    from datetime import date

    import lxml.html
    from lxml import etree

    from inspectors.freshness import item_date

    handed_out = [0]

    class CountingElement(lxml.html.HtmlElement):
        def itersiblings(self, *args, **kwargs):
            for sib in super().itersiblings(*args, **kwargs):
                handed_out[0] += 1
                yield sib

    parser = lxml.html.HTMLParser()
    parser.set_element_class_lookup(etree.ElementDefaultClassLookup(element=CountingElement))
    n = 2000
    tree = lxml.html.fromstring("<div>" + "".join(f'<a href="/{i}.html">条目</a>' for i in range(n))
                                + '<a href="/x.html">最后</a><span>2026-11-01</span></div>', parser=parser)
    links = tree.findall(".//a")
    for a in links[:100]:
        item_date(a, a.get("href"), date(2026, 11, 20))
    assert handed_out[0] <= 100 * 3  # linear: a few siblings per link, not all 2,000 of them
    assert item_date(links[-1], "/x.html", date(2026, 11, 20)) == date(2026, 11, 1)  # the date next to it


def test_page_with_100k_links_is_bounded_and_reported(tmp_path):
    links = "".join(f'<a href="/p/{i}.html">条目{i}</a> ' for i in range(100_000))
    with RouteServer({"/": Route(html(f"<div>{links}</div>"))}) as srv:
        registry = write_registry(tmp_path / "r.csv", [
            {"id": "3416000001", "name": "测试", "organizer": "测试", "url": srv.url + "/"}])
        store = tmp_path / "s.sqlite3"
        # every default inspector (freshness included), 5 pages; the rest of the links are checked
        result = govinspect("crawl", "--registry", str(registry), "--store", str(store), "--max-pages", "5",
                            *FAST, "-s", "PAGE_MAX_LINKS=3000", "-s", "SITE_MAX_LINK_CHECKS=200", timeout=150)
        hits = len(srv.hits)
    assert result.returncode == 0, result.stderr[-3000:]
    assert hits <= 1 + 5 + 200  # homepage, the page budget, the check budget
    assert "97000 links beyond the per-page limit (PAGE_MAX_LINKS)" in result.stdout
    assert "link checks beyond the per-site limit (SITE_MAX_LINK_CHECKS)" in result.stdout
    db = sqlite3.connect(store)
    completed, reason = db.execute("SELECT completed, reason FROM run_sites").fetchone()
    assert completed == 0 and reason


def test_decoy_small_page_is_not_bounded(tmp_path):
    with RouteServer({"/": Route(html('<a href="/a.html">a</a><a href="/b.html">b</a>')),
                      "/a.html": Route(html("a")), "/b.html": Route(html("b"))}) as srv:
        registry = write_registry(tmp_path / "r.csv", [
            {"id": "3416000001", "name": "测试", "organizer": "测试", "url": srv.url + "/"}])
        store = tmp_path / "s.sqlite3"
        result = govinspect("crawl", "--registry", str(registry), "--store", str(store), *FAST, *LINKS_ONLY,
                            "-s", "PAGE_MAX_LINKS=2", "-s", "SITE_MAX_LINK_CHECKS=1")
    assert result.returncode == 0 and "Skipped" not in result.stdout
    assert sqlite3.connect(store).execute("SELECT completed FROM run_sites").fetchone() == (1,)


def test_megabytes_of_text_are_cut_before_parsing(tmp_path):
    """Beyond PAGE_MAX_TEXT_CHARS nothing is parsed or inspected: a leak there is not seen, and the site is
    therefore incomplete (its earlier findings stay open)."""
    filler = "<p>" + "正文内容" * 50 + "</p>"
    body = html(filler * 2000 + "<p>身份证号 341602199201010017</p>")  # ~0.8 M characters, the ID at the end
    with RouteServer({"/": Route(body)}) as srv:
        registry = write_registry(tmp_path / "r.csv", [
            {"id": "3416000001", "name": "测试", "organizer": "测试", "url": srv.url + "/"}])
        store = tmp_path / "s.sqlite3"
        result = govinspect("crawl", "--registry", str(registry), "--store", str(store), *FAST,
                            "-s", "PAGE_MAX_TEXT_CHARS=100000", "-s",
                            'INSPECTORS={"inspectors.leaks.LeakInspector": 300}')
    assert result.returncode == 0, result.stderr[-2000:]
    db = sqlite3.connect(store)
    assert db.execute("SELECT COUNT(*) FROM findings").fetchone() == (0,)
    assert db.execute("SELECT completed FROM run_sites").fetchone() == (0,)
    assert "characters of page text not inspected (PAGE_MAX_TEXT_CHARS)" in result.stdout
