"""Inspector benchmark: pages/s of each issue-3 and issue-10 inspector, attachment MB/s, filter-engine URLs/s.

Pages are generated government-style pages (navigation, lists, article text, tables, footers; some
carry style blocks, hidden blocks, ad scripts and rosters). Timing covers ``inspect_page`` only
(parsing is the crawl's cost). Attachments are real files of every format, built here.

    .venv/bin/python bench/bench_inspectors.py [--pages 2000] [--rows 5000] [--urls 200000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from govinspect.registry import Registry, Site  # noqa: E402
from inspectors.ads_commercial import AdCommercialInspector  # noqa: E402
from inspectors.ads_network import AdNetworkInspector, build_engine  # noqa: E402
from inspectors.archives import ArchiveInspector  # noqa: E402
from inspectors.base import RunContext  # noqa: E402
from inspectors.hidden_links import HiddenLinkInspector  # noqa: E402
from inspectors.identity_meta import MetaTagInspector  # noqa: E402
from inspectors.identity_site import SiteIdentityInspector  # noqa: E402
from inspectors.interaction import InteractionInspector  # noqa: E402
from inspectors.leaks import LeakInspector  # noqa: E402
from inspectors.policy_repost import PolicyRepostInspector  # noqa: E402
from tests.inspectors import files  # noqa: E402
from tests.inspectors.helpers import (  # noqa: E402
    CARD_A,
    CITY,
    ID_A,
    ID_B,
    ID_C,
    id18,
    make_attachment,
    make_inspector,
    make_page,
)

INSPECTORS = [AdNetworkInspector, AdCommercialInspector, HiddenLinkInspector, LeakInspector, ArchiveInspector]
WORDS = "示例市人民政府关于进一步做好城乡居民基本医疗保险工作的通知各县区人民政府市直各部门为贯彻落实"


def page_html(rng: random.Random, n: int) -> str:
    nav = "".join(f'<li><a href="/col{i}/index.html">栏目{i}</a></li>' for i in range(12))
    items = "".join(f'<li><a href="/col{n % 12}/2026/t{n}_{i}.html">{WORDS[i % 20:i % 20 + 18]}</a>'
                    f"<span>2026-10-{1 + i % 28:02d}</span></li>" for i in range(40))
    text = "".join(f"<p>{WORDS * 3}{rng.randint(1000, 9999)}</p>" for _ in range(8))
    friends = "".join(f'<a href="http://www.site{i}.example.com/">友情链接{i}</a>' for i in range(8))
    extra = ""
    if n % 10 == 0:
        extra += ('<style>.nav .sub{display:none}.nav li:hover .sub{display:block}.x{font-size:0}</style>'
                  '<div class="x"><a href="http://www.bocai-example.com/">百家乐</a></div>')
    if n % 10 == 1:
        extra += '<script src="http://pos.baidu.com/s"></script><div class="ad-slot"><a href="http://ad.example.com/">广告</a></div>'
    if n % 10 == 2:
        extra += "<table>" + "".join(f"<tr><td>王芳</td><td>{i}</td><td>1381234567{k}</td></tr>"
                                     for k, i in enumerate([ID_A, ID_B, ID_C])) + "</table>"
    return (f'<html><head><title>示例页面{n}</title><link rel="stylesheet" href="/css/main.css">'
            f'<script src="/js/jquery.js"></script><script src="https://hm.baidu.com/hm.js?x"></script></head>'
            f'<body><div class="header"><img src="/images/logo.png"></div><ul class="nav">{nav}</ul>'
            f'<div class="main"><ul class="list">{items}</ul>{text}{extra}</div>'
            f'<div class="footer">{friends}<a href="/lsgd/index.html">网站归档</a> 皖ICP备12345678号</div>'
            "</body></html>")


def bench_pages(count: int) -> None:
    rng = random.Random(1)
    pages = [make_page(page_html(rng, n), url=f"http://www.example-city.gov.cn/col{n % 12}/t{n}.html")
             for n in range(count)]
    size = sum(len(p.text) for p in pages) / count
    print(f"pages: {count} generated pages, {size / 1024:.0f} KB HTML and {len(pages[0].links)} links each")
    total = 0.0
    for cls in INSPECTORS:
        inspector = make_inspector(cls)
        for p in pages:
            p.__dict__.pop("_visible_lines", None)  # each inspector pays for the visible text alone
        started = time.perf_counter()
        found = sum(1 for p in pages for _ in inspector.inspect_page(p))
        elapsed = time.perf_counter() - started
        total += elapsed
        print(f"  {cls.__name__:<24} {count / elapsed:>9,.0f} pages/s  ({found} observations)")
    together = [make_inspector(cls) for cls in INSPECTORS]
    for p in pages:
        p.__dict__.pop("_visible_lines", None)
    started = time.perf_counter()
    for p in pages:
        for inspector in together:
            for _ in inspector.inspect_page(p):
                pass
    elapsed = time.perf_counter() - started
    print(f"  {'all five together':<24} {count / elapsed:>9,.0f} pages/s  ({elapsed / count * 1000:.2f} ms/page)")


ISSUE10 = [MetaTagInspector, SiteIdentityInspector, InteractionInspector, PolicyRepostInspector]
META = ('<meta name="SiteName" content="示例市人民政府"><meta name="ColumnName" content="通知公告">'
        '<meta name="ArticleTitle" content="示例市关于调整办公时间的通知">'
        '<meta name="PubDate" content="2026-10-03 09:30">')
MESSAGES = ("<table><tr><th>留言标题</th><th>留言时间</th><th>回复时间</th><th>状态</th></tr>"
            + "".join(f'<tr><td><a href="/hdjl/{i}.html">留言{i}</a></td><td>2026-0{1 + i % 9}-01</td><td></td>'
                      f"<td>{'未回复' if i % 3 else '已回复'}</td></tr>" for i in range(20)) + "</table>")


def bench_issue10(count: int) -> None:
    """The issue-10 inspectors on the same kind of pages: every page an article with meta tags, every
    tenth a message list (the policy inspector runs as on a portal with children)."""
    rng = random.Random(1)
    child = Site(id="3416000002", name="示例市教育局", organizer="示例市教育局", level="department",
                 url="http://jyj.example-city.gov.cn/", parent=CITY.id)
    family = Registry([CITY, child])
    pages = []
    for n in range(count):
        html = page_html(rng, n).replace("</title>", "</title>" + META, 1)
        if n % 10 == 3:
            html = html.replace('<div class="main">', '<div class="main">' + MESSAGES, 1)
        page = make_page(html, url=f"http://www.example-city.gov.cn/col{n % 12}/202610/t20261003_{n}.html")
        page.run = RunContext(page.run.run_id, page.run.as_of, family)  # the city is a parent here
        pages.append(page)
    print(f"issue-10 inspectors: {count} article pages, every tenth with a 20-message table")
    together = [make_inspector(cls) for cls in ISSUE10]
    for inspector in together:
        started = time.perf_counter()
        found = sum(1 for p in pages for _ in inspector.inspect_page(p))
        elapsed = time.perf_counter() - started
        print(f"  {type(inspector).__name__:<24} {count / elapsed:>9,.0f} pages/s  ({found} facts/observations)")
    started = time.perf_counter()
    for p in pages:
        for inspector in together:
            for _ in inspector.inspect_page(p):
                pass
    elapsed = time.perf_counter() - started
    print(f"  {'all four together':<24} {count / elapsed:>9,.0f} pages/s  ({elapsed / count * 1000:.2f} ms/page)")


def roster(rows: int) -> list[list]:
    out = []
    for i in range(rows):
        ident = id18(f"341602{1950 + i % 60}{i % 12 + 1:02d}{i % 28 + 1:02d}{i % 1000:03d}")
        out.append([i + 1, "王芳", ident, f"138{i:08d}", CARD_A, 580.0])
    return out


def corpus(rows: int) -> list[tuple[str, bytes]]:
    people = roster(rows)
    clean = [[i, "示例项目建设", "2026-10-01", "0556-1234567", "", 1000.0 + i] for i in range(rows)]
    items = [
        ("roster.xlsx", files.xlsx(people)),
        ("report.xlsx", files.xlsx(clean)),
        ("roster.xls", files.xls(people[:min(rows, 60000)])),
        ("roster.csv", "\r\n".join(",".join(str(v) for v in r) for r in people).encode("gbk")),
        ("notice.docx", files.docx()),
    ]
    if files.has_cjk_font():
        lines = [f"{r[0]} 王芳 身份证号 {r[2]} 手机 {r[3]}" for r in people[:1500]]
        items.append(("roster.pdf", files.pdf(lines)))
    return items


def bench_attachments(rows: int, repeat: int = 3) -> None:
    """MB/s of file bytes, the best of ``repeat`` scans of each file, wall clock and CPU (on a shared
    machine only CPU time means much). The first scan of each file is shown apart ("first", wall): it
    also pays for importing the format's reader (pypdfium2 alone ~80 ms), which a crawl's scan process
    does once, not per file."""
    inspector = make_inspector(LeakInspector)
    total_bytes, total_wall, total_cpu, total_first = 0, 0.0, 0.0, 0.0
    print(f"attachments: real files, {rows} roster rows (best of {repeat} scans after a first one)")
    for name, body in corpus(rows):
        walls, cpus = [], []
        for _ in range(1 + repeat):
            started, cpu = time.perf_counter(), time.process_time()
            results = inspector.scan_attachment(make_attachment(body, name))
            walls.append(time.perf_counter() - started)
            cpus.append(time.process_time() - cpu)
        wall, cpu = min(walls[1:]), min(cpus[1:])
        total_bytes += len(body)
        total_wall += wall
        total_cpu += cpu
        total_first += walls[0]
        hits = {k.split(".")[-1]: len(v.values) for k, v in results.items()}
        mb = len(body) / 1e6
        print(f"  {name:<12} {mb:>6.2f} MB  {mb / wall:>7.1f} MB/s  "
              f"(CPU {mb / cpu:.1f}, first {mb / walls[0]:.1f})  {hits}")
    mb = total_bytes / 1e6
    print(f"  {'all':<12} {mb:>6.2f} MB  {mb / total_wall:>7.1f} MB/s  (CPU {mb / total_cpu:.1f}, "
          f"first {mb / total_first:.1f}; target >= 5)")


def bench_engine(urls: int) -> None:
    shipped = (ROOT / "inspectors" / "data" / "adfilters-cn.txt").read_text(encoding="utf-8")
    # EasyList-sized synthetic list: host rules, path rules and typed rules, like the real lists.
    rules = [f"||adhost{i}.example.net^" for i in range(20000)]
    rules += [f"/banner{i}/*$image" for i in range(10000)]
    rules += [f"||track{i}.example.org^$script,third-party" for i in range(10000)]
    rng = random.Random(2)
    sample = []
    for i in range(urls):
        r = rng.random()
        if r < 0.1:
            sample.append((f"http://adhost{rng.randrange(20000)}.example.net/a.js", "script"))
        elif r < 0.15:
            sample.append(("http://pos.baidu.com/s?hei=250", "script"))
        else:
            sample.append((f"http://cdn{i % 97}.example.com/static/{i}/img{i % 13}.png", "image"))
    for label, texts in (("shipped list", [shipped]), ("shipped + 40,000 rules", [shipped, "\n".join(rules)])):
        started = time.perf_counter()
        engine = build_engine(texts)
        built = time.perf_counter() - started
        started = time.perf_counter()
        hits = sum(engine.check_network_urls(u, "http://www.example-city.gov.cn/", t).matched for u, t in sample)
        elapsed = time.perf_counter() - started
        print(f"filter engine ({label}): built in {built:.2f} s, {urls / elapsed:,.0f} URLs/s "
              f"({hits} blocked; target >= 100,000)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pages", type=int, default=2000)
    ap.add_argument("--rows", type=int, default=5000)
    ap.add_argument("--urls", type=int, default=200000)
    ap.add_argument("--repeat", type=int, default=3, help="timed scans of each attachment after a first one")
    args = ap.parse_args()
    bench_pages(args.pages)
    bench_issue10(args.pages)
    bench_attachments(args.rows, args.repeat)
    bench_engine(args.urls)


if __name__ == "__main__":
    main()
