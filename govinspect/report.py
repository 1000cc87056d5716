"""The end-of-run summary: a table per site and rule, with completion, pages and blocked counts."""

from __future__ import annotations

from collections import defaultdict
from typing import TextIO

from govinspect.store import FindingStore


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
