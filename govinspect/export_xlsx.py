"""``export --format xlsx``: the findings as a sheet an office user can open and print.

One header row in Chinese (frozen, repeated when printed), column widths that fit their content,
wrapped long texts, an auto-filter, A4 landscape. A second sheet, 字段, maps each column to its
``findings.md`` field name for scripts. Written in openpyxl's write-only mode: exports can be large.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from govinspect.cells import is_formula_like
from govinspect.findings import FINDING_FIELDS

WIDTHS = {
    "fingerprint": 34, "rule": 22, "severity": 9, "site_id": 13, "site_name": 20, "organizer": 18,
    "page_url": 45, "target_url": 45, "message": 50, "evidence": 40, "occurrences": 9, "referrers": 40,
    "status": 9, "first_seen": 21, "last_seen": 21, "run_id": 22, "screenshot": 30,
}
WRAPPED = {"message", "evidence", "referrers", "page_url", "target_url"}


def write_xlsx(rows: Iterable[list[Any]], out: Path, headers: dict[str, str]) -> int:
    """Write flat rows (in ``FINDING_FIELDS`` order, already masked) with ``headers`` (Chinese).

    Formula-like text (``=``, ``+``, ``-``, ``@``, tab, CR) is written unchanged as a string cell with
    Excel's quote prefix: the sheet shows the original text and no program evaluates it."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("问题清单")
    for i, field in enumerate(FINDING_FIELDS, start=1):
        ws.column_dimensions[get_column_letter(i)].width = WIDTHS.get(field, 14)
    ws.freeze_panes = "A2"
    ws.print_title_rows = "1:1"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = "9"  # A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    bold, fill = Font(bold=True), PatternFill("solid", fgColor="DDE6F0")
    head = []
    for field in FINDING_FIELDS:
        c = WriteOnlyCell(ws, value=headers[field])
        c.font, c.fill = bold, fill
        c.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        head.append(c)
    ws.append(head)
    wrap = Alignment(vertical="top", wrap_text=True)
    top = Alignment(vertical="top")
    count = 0
    for row in rows:
        cells = []
        for field, value in zip(FINDING_FIELDS, row, strict=True):
            c = WriteOnlyCell(ws, value=value)
            if is_formula_like(value):
                c.data_type = "s"  # openpyxl would store "=..." as a formula
                c.quotePrefix = True
            c.alignment = wrap if field in WRAPPED else top
            cells.append(c)
        ws.append(cells)
        count += 1
    ws.auto_filter.ref = f"A1:{get_column_letter(len(FINDING_FIELDS))}{count + 1}"
    fields = wb.create_sheet("字段")
    fields.append(["列", "字段（findings.md）"])
    for field in FINDING_FIELDS:
        fields.append([headers[field], field])
    wb.save(out)
    return count
