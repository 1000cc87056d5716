"""The generated cluster: registry, manifest truthfulness, identity/freshness seeds, determinism, size."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import time
from pathlib import Path
from urllib.parse import urljoin

import lxml.html
import pytest

from govinspect.demo import build_cluster
from govinspect.demo.generator import host_dir
from govinspect.registry import load_registry

from .conftest import fetch

ONCLICK = re.compile(r"""(?:window\.open|location\.href\s*=)\s*\(?\s*['"]([^'"]+)['"]""")
LINK_KINDS = {
    "a[href]",
    "area[href]",
    "iframe[src]",
    "frame[src]",
    "img[src]",
    "script[src]",
    "link[href]",
    "option[value]",
    "onclick:window.open",
    "onclick:location.href",
}
ICP = re.compile(r"[京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼]ICP备\d{6,10}号")
PSB = re.compile(r"[京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼]\s*公网安备\s*\d{14}\s*号")
CONAC = re.compile(r"//bszs\.conac\.cn/sitename\?method=show&(?:amp;)?id=[0-9A-F]{32}")


def links_of(page_url: str, body: bytes) -> dict[str, set[str]]:
    """Every link kind's absolute targets on a page (the extraction rules.md describes)."""
    tree = lxml.html.fromstring(body)
    found: dict[str, set[str]] = {k: set() for k in LINK_KINDS}
    for tag, attr in (
        ("a", "href"),
        ("area", "href"),
        ("iframe", "src"),
        ("frame", "src"),
        ("img", "src"),
        ("script", "src"),
        ("link", "href"),
        ("option", "value"),
    ):
        for el in tree.iter(tag):
            if el.get(attr):
                found[f"{tag}[{attr}]"].add(el.get(attr).strip())
    for el in tree.xpath("//*[@onclick]"):
        for target in ONCLICK.findall(el.get("onclick")):
            kind = "onclick:window.open" if "window.open" in el.get("onclick") else "onclick:location.href"
            found[kind].add(target)
    return {
        k: {v if v.startswith(("javascript:", "mailto:", "tel:", "#")) else urljoin(page_url, v) for v in vs}
        for k, vs in found.items()
    }


def page_bytes(cluster, url: str) -> bytes:
    host, _, path = url.removeprefix("http://").partition("/")
    path = path or "index.html"
    if path.endswith("/"):
        path += "index.html"
    return (cluster.root / "hosts" / host_dir(host) / path).read_bytes()


def test_registry_loads_and_matches_the_brief(cluster):
    reg = load_registry(cluster.registry_path)
    assert len(reg) == 8
    header = cluster.registry_path.read_text(encoding="utf-8").splitlines()[0]
    assert header == "id,name,organizer,level,url,parent,archive_paths,extra_hosts,render"
    city = reg.get("3416000001")
    assert (city.url, city.level, city.name) == ("http://www.example-city.gov.cn/", "portal", "示例市人民政府")
    assert {s.level for s in reg} == {"portal", "county", "department"}
    assert all(s.render == "never" for s in reg)
    assert all(s.parent == "3416000001" for s in reg if s.id != city.id)
    assert reg.get("3416000002").extra_hosts == ("files.example-city.gov.cn",)
    assert city.archive_paths == ("/lsgd/",)
    assert all(s.host.endswith(".gov.cn") or ".gov.cn:" in s.host for s in reg)


def test_manifest_file_matches_the_returned_entries(cluster):
    manifest = json.loads(cluster.manifest_path.read_text(encoding="utf-8"))
    assert manifest["entries"] == cluster.entries
    assert manifest["as_of"] == "2026-11-20"
    for e in cluster.entries:
        assert {"rule", "site_id", "target_url", "page_url", "expect"} <= set(e)


@pytest.mark.parametrize("which", ["cluster", "full_cluster"])
@pytest.mark.parametrize("expect", ["finding", "not-broken", "blocked", "link", "trap", "not-link"])
def test_manifest_pages_exist_and_carry_their_links(request, which, expect):
    if which == "cluster":
        built, opener = request.getfixturevalue("cluster"), request.getfixturevalue("opener")
    else:
        built, (_, opener) = request.getfixturevalue("full_cluster"), request.getfixturevalue("full_opener")
    entries = [
        e
        for e in built.expected(expect=expect)
        if e["page_url"] and e["target_url"] and e["rule"] in (None, "link.broken")
    ]
    assert entries, f"no {expect} entries"
    for e in entries:
        got = fetch(opener, e["page_url"])
        assert got.status == 200, e
        found = links_of(e["page_url"], got.body)
        kinds = [e["link_kind"]] if e.get("link_kind") else list(found)
        assert any(e["target_url"] in found[k] for k in kinds), e


def test_full_cluster_keeps_the_base_seeds(full_cluster, cluster):
    """Other seeds add entries but must not drop or change the ones these seeds make."""
    full = {json.dumps(e, sort_keys=True) for e in full_cluster.entries}
    assert {json.dumps(e, sort_keys=True) for e in cluster.entries} <= full


def test_every_link_kind_is_seeded_broken_and_used_for_real(cluster):
    broken = {e["link_kind"] for e in cluster.expected("link.broken") if e.get("link_kind")}
    working = {e["link_kind"] for e in cluster.expected(expect="link")}
    assert broken == LINK_KINDS
    assert working == LINK_KINDS
    assert {e["target_url"] for e in cluster.expected(expect="not-link")} == {
        "javascript:void(0)",
        "mailto:wzjc@example-city.gov.cn",
        "tel:0558-12345",
        "#top",
    }


@pytest.mark.parametrize("which", ["cluster", "full_cluster"])
def test_broken_targets_really_fail_and_the_others_do_not(request, which):
    if which == "cluster":
        cluster, opener, server = (request.getfixturevalue(n) for n in ("cluster", "opener", "server"))
    else:
        cluster = request.getfixturevalue("full_cluster")
        server, opener = request.getfixturevalue("full_opener")
    server.reset()
    behaviours = json.loads(cluster.behaviours_path.read_text(encoding="utf-8"))["hosts"]
    kinds = set()
    for e in cluster.expected("link.broken"):
        if e.get("note") == "timeout":
            host, _, path = e["target_url"].removeprefix("http://").partition("/")
            assert behaviours[host]["paths"]["/" + path]["delay"] > 15  # longer than the crawl timeout
            kinds.add("timeout")
            continue
        got = fetch(opener, e["target_url"])  # urllib gives up on a redirect loop with its last 3xx
        assert got.status >= 400 or (e.get("note") == "redirect loop" and got.status == 302), e
        kinds.add(got.status)
    assert {404, 500, 502, 503, 302, "timeout"} <= kinds
    for e in cluster.expected(expect="not-broken"):
        got = fetch(opener, e["target_url"])
        if got.status == 429:
            time.sleep(float(got.headers["Retry-After"]))
            got = fetch(opener, e["target_url"])
        assert got.status == 200, e
    for e in cluster.expected(expect="blocked"):
        assert fetch(opener, e["target_url"]).status == 403


def test_unregistered_host_is_served_and_inside_the_city_domain(cluster, opener):
    (e,) = cluster.expected("registry.unregistered-site")
    assert e["target_url"] == "http://bbs.example-city.gov.cn"
    assert fetch(opener, e["target_url"] + "/").status == 200
    assert e["target_url"] + "/" in links_of(e["page_url"], page_bytes(cluster, e["page_url"]))["a[href]"]


def test_decoded_entries_hold_their_text_only_in_gbk(cluster):
    entries = cluster.expected(expect="decoded")
    assert {e["declared"] for e in entries} == {"header", "meta", "none"}
    for e in entries:
        raw = page_bytes(cluster, e["page_url"])
        assert e["text"] in raw.decode("gb18030")
        assert e["text"].encode("utf-8") not in raw


def test_identity_marks_follow_the_manifest(cluster):
    missing = {(e["site_id"], e["rule"]) for e in cluster.expected() if (e["rule"] or "").startswith("identity.")}
    assert missing == {
        ("3416220001", "identity.icp-missing"),
        ("3416000002", "identity.psb-missing"),
        ("3416020001", "identity.conac-missing"),
        ("3416020001", "identity.emblem-missing"),
        ("3416000003", "identity.site-code-missing"),
        ("3416000004", "identity.name-mismatch"),
    }
    for site in cluster.sites:
        if site.down:
            continue
        raw = page_bytes(cluster, site.url)
        text = raw.decode("gb18030" if site.encoding == "gbk" else "utf-8")
        tree = lxml.html.fromstring(text)
        visible = tree.text_content()
        assert bool(ICP.search(visible)) == ((site.id, "identity.icp-missing") not in missing), site.role
        assert bool(PSB.search(visible)) == ((site.id, "identity.psb-missing") not in missing), site.role
        assert bool(CONAC.search(text)) == ((site.id, "identity.conac-missing") not in missing), site.role
        has_code = f"网站标识码：{site.id}" in visible
        assert has_code == ((site.id, "identity.site-code-missing") not in missing), site.role
        named = site.name in tree.findtext(".//title") or site.name in tree.findtext(".//h1")
        assert named == ((site.id, "identity.name-mismatch") not in missing), site.role
        assert tree.xpath("//meta[@name='SiteIDCode']/@content") == [site.id]


def _dates(text: str) -> list[dt.date]:
    return [dt.date.fromisoformat(d) for d in re.findall(r'class="date">(\d{4}-\d{2}-\d{2})<', text)]


def test_freshness_seeds_match_the_pages(cluster):
    as_of = dt.date(2026, 11, 20)
    stale = {(e["site_id"], e["page_url"]) for e in cluster.expected("freshness.column-stale")}
    empty = {(e["site_id"], e["page_url"]) for e in cluster.expected("freshness.column-empty")}
    stale_home = {e["site_id"] for e in cluster.expected("freshness.homepage-stale")}
    assert stale_home == {"3416000003"}
    assert ("3416000002", "http://jyj.example-city.gov.cn/xxgk/rsxx/index.html") in empty
    assert ("3416000001", "http://www.example-city.gov.cn/xxgk/rsxx/index.html") in stale
    for site in cluster.sites:
        if site.down:
            continue
        enc = "gb18030" if site.encoding == "gbk" else "utf-8"
        home = _dates(page_bytes(cluster, site.url).decode(enc))
        assert ((as_of - max(home)).days > 14) == (site.id in stale_home), site.role
        for col in site.columns:
            url = site.abs(col.list_paths[0])
            text = page_bytes(cluster, url).decode(enc)
            dates = _dates(text)
            assert f'content="{col.column_type}"' in text
            if (site.id, url) in empty:
                assert not dates and "暂无信息" in text
                continue
            too_old = col.threshold is not None and (as_of - max(dates)).days > col.threshold
            assert too_old == ((site.id, url) in stale), (site.role, col.name)


def test_cms_style_urls_and_article_meta(cluster):
    city, county = cluster.site("city"), cluster.site("county_a")
    art = city.column("tzgg").articles[0]
    assert re.fullmatch(r"/xxgk/tzgg/\d{6}/t\d{8}_\d+\.html", art.path)
    assert re.fullmatch(r"/art/\d{4}/\d{1,2}/\d{1,2}/art_\d+_\d+\.html", county.column("tzgg").articles[0].path)
    tree = lxml.html.fromstring(page_bytes(cluster, city.abs(art.path)).decode("utf-8"))
    metas = {m.get("name"): m.get("content") for m in tree.iter("meta") if m.get("name")}
    assert metas["PubDate"].startswith(art.date.isoformat())
    assert metas["ArticleTitle"] == art.title and metas["SiteName"] == city.name


def test_attachments_are_real_files(cluster):
    import docx
    import openpyxl
    from pdfminer.high_level import extract_text

    city = cluster.site("city")
    urls = {a.attachment for c in city.columns for a in c.articles if a.attachment}
    assert {u.rsplit(".", 1)[1] for u in urls} == {"pdf", "xlsx", "docx"}
    for url in urls:
        path = cluster.root / "hosts" / host_dir(city.host) / url.split("/", 3)[3]
        if url.endswith(".pdf"):
            assert "示例市年度重点工作任务" in extract_text(str(path))
        elif url.endswith(".xlsx"):
            assert openpyxl.load_workbook(path).active["A1"].value == "示例市年度重点工作任务"
        else:
            assert docx.Document(str(path)).paragraphs[0].text == "示例市年度重点工作任务"
    jyj = cluster.site("jyj")
    assert all(
        a.attachment.startswith("http://files.example-city.gov.cn/")
        for c in jyj.columns
        for a in c.articles
        if a.attachment
    )


def test_archive_section_is_labelled(cluster):
    root = cluster.root / "hosts" / "www.example-city.gov.cn" / "lsgd"
    pages = list(root.rglob("*.html"))
    assert len(pages) == 4
    for p in pages:
        text = p.read_text(encoding="utf-8")
        assert "已归档" in text and "归档时间" in text
    assert 'href="/lsgd/index.html">网站归档' in page_bytes(cluster, cluster.site("city").url).decode("utf-8")


def _digest(root: Path) -> str:
    h = hashlib.sha256()
    for p in sorted(root.rglob("*")):
        if p.is_file():
            h.update(str(p.relative_to(root)).encode() + p.read_bytes())
    return h.hexdigest()


def test_deterministic_for_a_seed(tmp_path):
    a = build_cluster(tmp_path / "a")
    b = build_cluster(tmp_path / "b")
    c = build_cluster(tmp_path / "c", seed=7)
    assert _digest(a.root) == _digest(b.root)
    assert _digest(a.root) != _digest(c.root)


def test_seeds_are_pluggable(tmp_path):
    bare = build_cluster(tmp_path / "bare", seed_names=[])
    assert not bare.expected("link.broken") and not bare.expected(expect="decoded")
    assert not (bare.root / "behaviours.json").read_text().count('"status"')
    only = build_cluster(tmp_path / "enc", seed_names=["encodings"])
    assert {e["declared"] for e in only.expected(expect="decoded")} == {"header", "meta", "none"}


def test_small_cluster_still_builds(tmp_path):
    small = build_cluster(tmp_path / "small", sites=2, pages_per_site=5)
    assert [s.role for s in small.sites] == ["city", "county_a"]
    assert len(load_registry(small.registry_path)) == 2


def test_benchmark_cluster_size_and_speed(tmp_path):
    started = time.monotonic()
    big = build_cluster(tmp_path / "bench", sites=20, pages_per_site=500)
    elapsed = time.monotonic() - started
    html = sum(1 for _ in (big.root / "hosts").rglob("*.html"))
    assert len(load_registry(big.registry_path)) == 20
    assert big.page_count >= 10_000 and html >= 10_000
    assert elapsed < 30
