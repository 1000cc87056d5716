"""Compare two findings stores written by ``bench_page_cost.py`` (or any two runs over the same pages).

A speed change must not change what is found: this prints the rows that differ, table by table, with
run ids and timestamps left out (they differ between any two runs), and exits 1 when any table differs.

    .venv/bin/python bench/compare_stores.py BEFORE.sqlite3 AFTER.sqlite3
"""

from __future__ import annotations

import sqlite3
import sys
from collections import Counter

# Columns that differ between any two runs of the same pages.
VOLATILE = {"run_id", "id", "seen_at", "checked_at", "started_at", "ended_at", "finalized_at", "updated_at",
            "first_seen", "last_seen", "fixed_at", "probed_at", "args", "latency_ms", "as_of"}


def table_rows(path: str) -> dict[str, Counter]:
    """Every table's rows (volatile columns dropped) as a multiset."""
    db = sqlite3.connect(path)
    out: dict[str, Counter] = {}
    tables = [n for (n,) in db.execute("SELECT name FROM sqlite_master WHERE type='table' ORDER BY name")]
    for table in tables:
        cols = [c[1] for c in db.execute(f"PRAGMA table_info({table})") if c[1] not in VOLATILE]
        out[table] = Counter(db.execute(f"SELECT {', '.join(cols)} FROM {table}") if cols else [])
    db.close()
    return out


def main() -> int:
    before, after = table_rows(sys.argv[1]), table_rows(sys.argv[2])
    differ = False
    for table in sorted(set(before) | set(after)):
        a, b = before.get(table, Counter()), after.get(table, Counter())
        gone, new = a - b, b - a
        print(f"{table}: {sum(a.values())} / {sum(b.values())} rows" + ("" if not (gone or new) else " DIFFER"))
        for row in list(gone)[:5]:
            print("  -", str(row)[:300])
        for row in list(new)[:5]:
            print("  +", str(row)[:300])
        differ |= bool(gone or new)
    print("DIFFERENT" if differ else "identical")
    return int(differ)


if __name__ == "__main__":
    sys.exit(main())
