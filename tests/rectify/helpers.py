"""A small two-unit cluster on one loopback server, crawled by the real command."""

from __future__ import annotations

import json
from pathlib import Path

from tests.support.cli import FAST, govinspect, write_registry
from tests.support.server import Route, RouteServer, html

# links, reachability and leaks: the bare test pages would otherwise (rightly) collect identity and
# freshness findings too, which these tests are not about.
INSPECTORS = ["-s", 'INSPECTORS={"inspectors.links.BrokenLinkInspector": 100, '
              '"inspectors.reachability.ReachabilityInspector": 110, "inspectors.leaks.LeakInspector": 300}']
ID_NUMBER = "110101199003074514"  # a valid checksum: the leak inspector reports it
PHONE = "13912345678"


def pages() -> dict[str, Route]:
    return {
        "/a/": Route(html('<a href="/a/news.html">新闻</a><a href="/a/gone.html">失效</a>')),
        "/a/news.html": Route(html(f"<p>公示名单：张三 身份证号 {ID_NUMBER} 联系电话 {PHONE}；李四 13812345679；"
                                   "王五 13712345670</p>")),
        "/b/": Route(html('<a href="/b/missing.html">旧栏目</a>')),
    }


def registry(tmp: Path, srv: RouteServer) -> Path:
    # two sites under two paths of one loopback server (neither links into the other)
    return write_registry(tmp / "r.csv", [
        {"id": "3400000001", "name": "甲局网站", "organizer": "甲局", "url": srv.url + "/a/"},
        {"id": "3400000002", "name": "乙局网站", "organizer": "乙局", "url": srv.url + "/b/"},
    ])


def crawl(tmp: Path, reg: Path, store: Path, run_id: str, *extra: str):
    result = govinspect("crawl", "--registry", str(reg), "--store", str(store), "--run-id", run_id, "--as-of",
                        "2026-09-28", *FAST, *INSPECTORS, *extra)
    assert result.returncode == 0, result.stderr[-3000:]
    return result


def rectify(store: Path, *args: str, reg: Path | None = None):
    extra = ["--registry", str(reg)] if reg is not None and args[0] in ("issue", "check") else []
    result = govinspect("rectify", *args, "--store", str(store), *FAST, *INSPECTORS, *extra)
    return result


def json_lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.strip().startswith("{")]
