"""Rectification and report speed: ``python bench/bench_rectify.py [-n 5000] [--sites 50]``.

Builds a real store with N open findings over S sites (one unit each), then times: issuing the
lists (one per unit, numbers, deadlines, entries), writing every list as xlsx and HTML, refreshing
the lists against the findings, and the monthly report (cluster + every unit, SVG charts). The
re-check itself is a crawl: its time is the crawl of the few pages concerned (the demo prints it).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from govinspect.findings import Observation  # noqa: E402
from govinspect.monthly.build import build_reports  # noqa: E402
from govinspect.rectify.cli import write_documents  # noqa: E402
from govinspect.rectify.lists import IssueOptions, issue_lists, refresh  # noqa: E402
from govinspect.registry import Site  # noqa: E402
from govinspect.store import FindingStore  # noqa: E402


def build_store(path: Path, n: int, sites: int) -> FindingStore:
    store = FindingStore(path)
    registry = [Site(id=f"34160{i:05d}", name=f"示例县第{i}部门网站", organizer=f"示例县第{i}局",
                     level="department", url=f"http://d{i}.example.gov.cn/") for i in range(sites)]
    store.start_run("bench", "2026-11-01", {}, registry)
    per_site = n // sites
    for site in registry:
        for j in range(per_site):
            rule = ("link.broken", "leak.phone", "ad.network")[j % 3]
            store.add_observation("bench", Observation(
                rule=rule, site_id=site.id, page_url=f"{site.url}p{j}.html", target_url=f"{site.url}t{j}.pdf",
                message=f"页面问题 {j}：联系电话 1391234{j % 10000:04d}", evidence={"status": 404, "link_text": "附件"},
            ), site.url)
        store.finalize_site("bench", site, completed=True)
    store.end_run("bench", "finished")
    return store


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("-n", type=int, default=5000)
    parser.add_argument("--sites", type=int, default=50)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        store = build_store(Path(tmp) / "s.sqlite3", args.n, args.sites)
        print(f"store: {args.n} findings over {args.sites} units in {time.perf_counter() - t0:.1f}s")
        t0 = time.perf_counter()
        lists = issue_lists(store, IssueOptions(as_of=date(2026, 9, 30), issued_by="bench"))
        dt = time.perf_counter() - t0
        entries = sum(len(lst["entries"]) for lst in lists)
        print(f"issue: {len(lists)} lists, {entries} entries in {dt:.2f}s ({entries / dt:,.0f} entries/s)")
        t0 = time.perf_counter()
        for lst in lists:
            write_documents(lst, Path(tmp) / "docs", "示例市人民政府办公室")
        dt = time.perf_counter() - t0
        print(f"documents: {len(lists)} xlsx + {len(lists)} HTML in {dt:.2f}s ({entries / dt:,.0f} entries/s)")
        t0 = time.perf_counter()
        refresh(store)
        print(f"refresh of {len(lists)} open lists: {time.perf_counter() - t0:.2f}s")
        t0 = time.perf_counter()
        report = build_reports(store, date.today().strftime("%Y-%m"), Path(tmp) / "report")
        print(f"monthly report: {len(report['files'])} HTML files + report.json in {time.perf_counter() - t0:.2f}s")
        store.close()


if __name__ == "__main__":
    main()
