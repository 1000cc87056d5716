"""Exporting findings: JSON Lines (the ``findings.md`` record), CSV and XLSX.

CSV and XLSX carry the same fields with ``evidence`` and ``referrers`` as JSON text; the xlsx sheet
(``export_xlsx``) has one Chinese header row so a unit's editor can read and print it. Everything exported is
masked again on the way out (defence in depth).
"""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from govinspect.cells import neutralise
from govinspect.findings import FINDING_FIELDS
from govinspect.masking import mask_text, mask_url, mask_value

FORMATS = ("jsonl", "csv", "xlsx")
HEADERS_ZH = {
    "fingerprint": "问题编号", "rule": "规则", "severity": "严重程度", "site_id": "网站标识码",
    "site_name": "网站名称", "organizer": "主办单位", "page_url": "问题页面", "target_url": "问题链接/资源",
    "message": "问题描述", "evidence": "证据", "occurrences": "出现次数", "referrers": "出现页面",
    "status": "状态", "first_seen": "首次发现", "last_seen": "最近发现", "run_id": "检查批次",
    "screenshot": "截图",
}


def _masked(record: dict[str, Any]) -> dict[str, Any]:
    out = dict(record)
    out["message"] = mask_text(out.get("message", ""))
    out["evidence"] = mask_value(out.get("evidence", {}))
    for key in ("page_url", "target_url"):
        if out.get(key):
            out[key] = mask_url(out[key])
    if out.get("referrers"):
        out["referrers"] = [mask_url(u) for u in out["referrers"]]
    out.pop("fixed_at", None)
    return out


def _flat(record: dict[str, Any]) -> list[Any]:
    row = []
    for field in FINDING_FIELDS:
        value = record.get(field)
        if isinstance(value, dict | list):
            value = json.dumps(value, ensure_ascii=False, sort_keys=True)
        row.append("" if value is None else value)
    return row


def export(records: Iterable[dict[str, Any]], fmt: str, out: Path) -> int:
    """Write ``records`` to ``out`` in ``fmt``; returns how many were written."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
    if out.exists() and not out.is_file():
        raise ValueError(f"--out {out} is not a regular file")
    out.parent.mkdir(parents=True, exist_ok=True)
    # Written next to the target and renamed over it: a failed export never leaves half a file, and a
    # pseudo-file (/proc, /sys) fails at once with one OSError instead of deep inside a writer.
    final, out = out, out.with_name(f".{out.name}.{os.getpid()}.tmp")
    try:  # cannot be created there: fail now, before any writer holds half a file
        out.open("wb").close()
    except OSError as exc:
        raise OSError(exc.errno, f"cannot write {final} ({exc.strerror})") from None
    try:
        count = _write(records, fmt, out)
        os.replace(out, final)
    finally:
        if out.exists():
            out.unlink()
    return count


def _write(records: Iterable[dict[str, Any]], fmt: str, out: Path) -> int:
    count = 0
    if fmt == "jsonl":
        with out.open("w", encoding="utf-8") as fh:
            for record in records:
                fh.write(json.dumps(_masked(record), ensure_ascii=False) + "\n")
                count += 1
    elif fmt == "csv":
        # utf-8-sig: Excel on Chinese Windows opens it without mojibake.
        with out.open("w", encoding="utf-8-sig", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(FINDING_FIELDS)
            for record in records:
                writer.writerow([neutralise(v) for v in _flat(_masked(record))])
                count += 1
    else:
        from govinspect.export_xlsx import write_xlsx

        count = write_xlsx((_flat(_masked(r)) for r in records), out, HEADERS_ZH)
    return count

