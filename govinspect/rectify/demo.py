"""The demo's second half: issue the lists, fix a unit's pages on disk, re-check its list, write the report.

Called by ``govinspect demo`` after the crawl. The demo server serves the cluster from files, so
"the unit fixes its page" is a rewrite of that file: the offending links are removed. The re-check
then runs against a fresh server (its byte cache is new) through the same loopback proxy.
"""

from __future__ import annotations

import os
import sys
import time
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

from govinspect.urls import normalize_url

LINK_ATTRS = ("href", "src", "value", "data")
# link rules keyed by their target: removing every link to the target fixes the entry
LINK_RULES = ("link.broken", "link.soft-404", "link.hijacked-external")


def page_file(cluster_root: Path, url: str) -> Path | None:
    """The file the demo server answers ``url`` from, if it is a static page."""
    from govinspect.demo.generator import host_dir

    parts = urlsplit(url)
    path = parts.path or "/"
    if path.endswith("/"):
        path += "index.html"
    f = cluster_root / "hosts" / host_dir(parts.netloc) / path.lstrip("/")
    return f if f.is_file() and f.suffix in (".html", ".htm", ".shtml") else None


def remove_links(file: Path, page_url: str, targets: set[str]) -> int:
    """Remove the elements of a page that point at any of ``targets``; returns how many went."""
    import lxml.html

    raw = file.read_bytes()
    doc = lxml.html.document_fromstring(raw)
    charset = next((m.get("charset") or (m.get("content") or "").partition("charset=")[2]
                    for m in doc.iter("meta") if m.get("charset") or "charset=" in (m.get("content") or "")), "utf-8")
    wanted = {normalize_url(t) for t in targets}
    gone = []
    for el in doc.iter():
        for attr in LINK_ATTRS:
            value = el.get(attr) if isinstance(el.tag, str) else None
            if value and normalize_url(urljoin(page_url, value.strip())) in wanted:
                gone.append(el)
                break
    for el in gone:
        el.drop_tree()
    if gone:
        text = lxml.html.tostring(doc, encoding="unicode", doctype=doc.getroottree().docinfo.doctype)
        file.write_bytes(text.encode(charset.strip() or "utf-8", errors="xmlcharrefreplace"))
    return len(gone)


def choose_list(lists: list[dict[str, Any]], cluster_root: Path) -> tuple[dict[str, Any], list[dict]] | None:
    """The list with the largest share of links a unit fixes by removing them from static pages (broken,
    soft-404 and hijacked links, which the targeted re-check judges; all of them: the re-check closes it)."""
    def fixable(e: dict) -> bool:
        return e["rule"] in LINK_RULES and bool(e.get("target_url")) and all(
            page_file(cluster_root, p) for p in [e["page_url"], *e.get("referrers", [])])

    scored = []
    for lst in lists:
        some = [e for e in lst["entries"] if fixable(e)]
        if some:  # most of its entries fixable first (all: the re-check closes it), then the smallest
            scored.append((-len(some) / len(lst["entries"]), len(lst["entries"]), lst["number"], lst, some))
    if not scored:
        return None
    _, _, _, lst, some = min(scored, key=lambda x: x[:3])
    return lst, some


def rectify_demo(out: Path, cluster_root: Path, registry_path: Path, settings: Any, settings_args: tuple,
                 today: date | None = None) -> int:
    """Issue lists, fix one unit's pages, re-check its list, write the monthly report; 0 when all went."""
    from govinspect.demo.server import ClusterServer
    from govinspect.monthly.build import build_reports
    from govinspect.rectify.calendar import WorkCalendar
    from govinspect.rectify.cli import check_json, write_documents
    from govinspect.rectify.lists import IssueOptions, issue_lists
    from govinspect.rectify.recheck import check_list, remember_sites
    from govinspect.rectify.search import index_lists
    from govinspect.rectify.tables import Tables
    from govinspect.registry import load_registry
    from govinspect.store import FindingStore

    today = today or date.today()
    issuer = settings.get("RECTIFY_ISSUER")  # the demo names its city office (DEMO_SETTINGS)
    store = FindingStore.from_settings(settings)
    try:
        remember_sites(Tables(store), load_registry(registry_path))
        lists = issue_lists(store, IssueOptions(
            as_of=today, min_severity=settings.get("RECTIFY_MIN_SEVERITY"),
            working_days=settings.getint("RECTIFY_WORKING_DAYS"), number_format=settings.get("RECTIFY_NUMBER_FORMAT"),
            issued_by="govinspect demo", calendar=WorkCalendar(settings.get("RECTIFY_HOLIDAY_FILE") or None)))
        docs = out / "rectification"
        for lst in lists:
            write_documents(lst, docs, issuer, store)
        print(f"issued {len(lists)} rectification lists (整改清单) into {docs}", file=sys.stderr)
    finally:
        store.close()
    code = 0
    chosen = choose_list(lists, cluster_root)
    if chosen is None:
        print("no list with a broken link on a static page to fix: re-check skipped", file=sys.stderr)
    else:
        lst, entries = chosen
        fixed = 0
        for e in entries:
            for page in [e["page_url"], *e.get("referrers", [])]:
                fixed += remove_links(page_file(cluster_root, page), page, {e["target_url"]})
        print(f"{lst['organizer']} fixed its pages ({fixed} links removed); re-checking {lst['number']}",
              file=sys.stderr)
        saved = {k: os.environ.get(k) for k in ("http_proxy", "HTTP_PROXY", "no_proxy", "NO_PROXY")}
        with ClusterServer(cluster_root) as server:
            os.environ["http_proxy"] = os.environ["HTTP_PROXY"] = server.proxy_url
            os.environ.pop("no_proxy", None)
            os.environ.pop("NO_PROXY", None)
            started = time.monotonic()
            try:
                after, code, warnings = check_list(settings, settings_args, lst["number"], today)
            finally:
                for key, value in saved.items():
                    if value is None:
                        os.environ.pop(key, None)
                    else:
                        os.environ[key] = value
        for w in warnings:
            print(f"warning: {w}", file=sys.stderr)
        result = check_json(after, today)
        done = sum(1 for e in result["entries"] if e["status"] == "fixed")
        print(f"re-check of {lst['number']}: {done}/{len(result['entries'])} fixed, list {result['status']}"
              + ("（已销号）" if result["status"] == "closed" else "")
              + f" ({time.monotonic() - started:.1f}s)", file=sys.stderr)
        write_documents(after, docs, issuer)  # the documents show the close-out
    store = FindingStore.from_settings(settings)
    try:
        month = today.strftime("%Y-%m")
        report = build_reports(store, month, out / "report", None, settings.getint("REPORT_TREND_MONTHS"), today,
                               issuer)
        index_lists(settings, store, today)
    finally:
        store.close()
    print(f"monthly report (监测报告) {month}: {len(report['files'])} HTML files and report.json in {out / 'report'}",
          file=sys.stderr)
    return code


def run_from_demo(args: Any, out: Path, cluster: Any, extra: dict[str, Any]) -> int:
    """The hook ``govinspect/demo/run.py`` calls: same settings as the demo's crawl."""
    from govinspect.config import build_settings

    settings = build_settings(args.settings_file, args.set, extra)
    return rectify_demo(out, out / "cluster", Path(cluster.registry_path), settings,
                        (args.settings_file, args.set, extra))
