"""The end-of-run summary: a table per site and rule, with completion, pages and blocked counts."""

from __future__ import annotations

from collections import defaultdict
from typing import TextIO

from govinspect.store import FindingStore

AVAILABILITY_SUMMARY_DAYS = 7  # the window of site.availability-low (rules.md)


def _width(text: str) -> int:
    """Display width: CJK characters take two columns on a terminal."""
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * max(0, width - _width(text))


def print_summary(store: FindingStore, run_id: str, out: TextIO) -> None:
    sites = store.run_sites(run_id)
    per_site: dict[str, dict[str, int]] = defaultdict(dict)
    for row in store.summary(run_id):
        per_site[row["site_id"]][row["rule"]] = row["n"]
    run = next((r for r in store.runs() if r["run_id"] == run_id), None)
    out.write(f"\nRun {run_id}: {run['status'] if run else '?'}\n")
    header = ["site", "name", "pages", "errors", "blocked", "complete", "findings by rule"]
    rows = []
    for s in sites:
        rules = per_site.get(s["site_id"], {})
        by_rule = ", ".join(f"{rule}={n}" for rule, n in sorted(rules.items())) or "-"
        rows.append([s["site_id"], s["site_name"] or "", str(s["pages"]), str(s["errors"]), str(s["blocked"]),
                     "yes" if s["completed"] else f"no ({s['reason']})", by_rule])
    widths = [max(_width(r[i]) for r in [header, *rows]) for i in range(len(header) - 1)]
    for r in [header, *rows]:
        out.write("  ".join(_pad(c, w) for c, w in zip(r[:-1], widths, strict=True)) + "  " + r[-1] + "\n")
    totals: dict[str, int] = defaultdict(int)
    for rules in per_site.values():
        for rule, n in rules.items():
            totals[rule] += n
    out.write("\nTotals by rule: " + (", ".join(f"{k}={v}" for k, v in sorted(totals.items())) or "none") + "\n")
    blocked = sum(s["blocked"] for s in sites)
    if blocked:
        out.write(f"Blocked (WAF 403/429/challenge, not counted as broken): {blocked}\n")
    status = store.counts_by_status(run_id)
    out.write("Findings by status: " + ", ".join(f"{k}={v}" for k, v in sorted(status.items())) + "\n")
    _print_outages(store, run_id, out)
    from govinspect.probing import print_availability  # availability per site (site.availability-low)

    print_availability(store, out, AVAILABILITY_SUMMARY_DAYS, [s["site_id"] for s in sites],
                       until=(run or {}).get("ended_at"))


def _print_outages(store: FindingStore, run_id: str, out: TextIO) -> None:
    """Say when the database server was unreachable during the run, and what was buffered meanwhile."""
    outages = store.outages(run_id)
    if not outages:
        return
    seconds = sum(o["seconds"] for o in outages)
    observations = sum(o["buffered_observations"] for o in outages)
    rows = sum(o["buffered_rows"] for o in outages)
    workers = len({(o["host"], o["pid"]) for o in outages})
    out.write(f"Database unreachable {len(outages)} time(s), {seconds:.1f} s in all"
              f" (seen by {workers} process(es)); {observations} observations ({rows} rows in all) were"
              " buffered and written when it answered again, none lost\n")


SKIPPED_STATS = {
    "govinspect/links_skipped": "links beyond the per-page limit (PAGE_MAX_LINKS)",
    "govinspect/link_checks_skipped": "link checks beyond the per-site limit (SITE_MAX_LINK_CHECKS)",
    "govinspect/text_chars_skipped": "characters of page text not inspected (PAGE_MAX_TEXT_CHARS)",
    "govinspect/blocked_address": "requests refused: internal or metadata addresses (NETWORK_ALLOW)",
    "govinspect/too_large": "targets larger than the download limit, not inspected",
}


def print_skipped(stats: dict, out: TextIO) -> None:
    """What the run left out to stay bounded and safe (from the crawl stats), one line each."""
    lines = [f"  {stats[key]} {what}" for key, what in SKIPPED_STATS.items() if stats.get(key)]
    if lines:
        out.write("Skipped:\n" + "\n".join(lines) + "\n")
