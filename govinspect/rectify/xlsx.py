"""A rectification list as an xlsx workbook for Excel and WPS.

Title and list facts on top, one header row (frozen, repeated on every printed page), one row per
entry with wrapped text, sensible widths, A4 landscape fitted to the page width, and the evidence
screenshot as a thumbnail in its row where there is one. Every cell is masked and neutralised.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.drawing.image import Image as XLImage
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

from govinspect.rectify.texts import (
    SEVERITY_ZH,
    entry_status,
    evidence_lines,
    is_formula_like,
    masked,
    remedy,
    rule_name,
)
from govinspect.rectify.thumbs import thumbnail

# (header, width in characters)
COLUMNS = [
    ("序号", 6), ("网站名称", 16), ("问题类型", 14), ("严重程度", 8), ("问题描述", 36), ("整改要求", 30),
    ("问题页面", 34), ("问题链接/资源", 34), ("证据（已脱敏）", 30), ("截图", 34), ("首次发现", 12),
    ("整改期限", 12), ("整改状态", 14),
]
HEADER_ROW = 3
THUMB_COLUMN = 10
_THIN = Side(style="thin", color="999999")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)


def entry_row(pos: int, entry: dict[str, Any], deadline: str) -> list[Any]:
    return [
        pos, entry["site_name"], rule_name(entry["rule"]), SEVERITY_ZH.get(entry["severity"], entry["severity"]),
        entry["message"], remedy(entry["rule"]), entry["page_url"], entry.get("target_url") or "",
        evidence_lines(entry["evidence"]), "", entry["first_seen"][:10], deadline,
        entry_status(entry),
    ]


def text_cell(cell: Any, value: Any) -> None:
    """Set a cell: masked; formula-like text stays that exact text as a string cell with Excel's quote
    prefix (no program evaluates it, and the reader sees no added apostrophe)."""
    value = masked(value)
    cell.value = value
    if is_formula_like(value):
        cell.data_type = "s"  # openpyxl would store "=..." as a formula
        cell.quotePrefix = True


def write_list_xlsx(lst: dict[str, Any], out: Path, issuer: str = "") -> Path:
    wb = Workbook()
    ws = wb.active
    ws.title = "整改清单"
    last = get_column_letter(len(COLUMNS))
    ws.append([masked(f"{issuer}政府网站问题整改清单" if issuer else "政府网站问题整改清单")])
    ws.merge_cells(f"A1:{last}1")
    ws["A1"].font = Font(size=16, bold=True)
    ws["A1"].alignment = Alignment(horizontal="center", vertical="center")
    ws.row_dimensions[1].height = 30
    facts = (f"编号：{lst['number']}    责任单位：{lst['organizer']}    下发日期：{lst['issued']}    "
             f"整改期限：{lst['deadline']}（{lst['working_days']}个工作日内）    问题数：{len(lst['entries'])}    "
             f"下发人：{lst['issued_by']}")
    ws.append([masked(facts)])
    ws.merge_cells(f"A2:{last}2")
    ws["A2"].alignment = Alignment(vertical="center", wrap_text=True)
    ws.row_dimensions[2].height = 24
    ws.append([h for h, _ in COLUMNS])
    fill = PatternFill("solid", fgColor="DDE6F0")
    for col, (_, width) in enumerate(COLUMNS, start=1):
        cell = ws.cell(row=HEADER_ROW, column=col)
        cell.font = Font(bold=True)
        cell.fill = fill
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        cell.border = _BORDER
        ws.column_dimensions[get_column_letter(col)].width = width
    wrap = Alignment(vertical="top", wrap_text=True)
    for pos, entry in enumerate(lst["entries"], start=1):
        row = HEADER_ROW + pos
        for col, value in enumerate(entry_row(pos, entry, lst["deadline"]), start=1):
            cell = ws.cell(row=row, column=col)
            text_cell(cell, value)
            cell.alignment = wrap
            cell.border = _BORDER
        thumb = thumbnail(entry.get("screenshot"), entry["rule"])
        if thumb:
            img = XLImage(io.BytesIO(thumb))
            ws.add_image(img, f"{get_column_letter(THUMB_COLUMN)}{row}")
            ws.row_dimensions[row].height = max(60, img.height * 0.75 + 6)  # px → points
        else:
            ws.row_dimensions[row].height = 60
    if lst.get("calendar_note"):
        ws.append([])
        ws.append([masked("说明：" + lst["calendar_note"])])
    ws.freeze_panes = f"A{HEADER_ROW + 1}"
    ws.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.page_margins.top = ws.page_margins.bottom = 0.6
    ws.oddFooter.center.text = f"{lst['number']}  第 &P 页 / 共 &N 页"
    ws.print_options.horizontalCentered = True
    out.parent.mkdir(parents=True, exist_ok=True)
    wb.save(out)
    return out
