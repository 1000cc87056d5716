"""Spreadsheet cells that cannot turn into formulas (CSV/formula injection, OWASP).

Registry names, organizers, ``inspect --name`` values, page titles and URLs come from people and
from hostile websites. A text cell starting with ``=``, ``+``, ``-``, ``@``, tab or carriage return is
a formula to Excel/WPS/LibreOffice (``=HYPERLINK("http://evil.example/","x")``,
``-2+3+cmd|' /C calc'!A0``). Every writer of CSV or XLSX — exports, rectification lists — passes its
text cells through here:

* CSV: :func:`neutralise` prefixes such text with an apostrophe, the OWASP rule; a reader sees the
  original text after the apostrophe, and :func:`restore` undoes it.
* XLSX: :func:`xlsx_cell` stores the text unchanged as a *string* cell with Excel's "quote prefix"
  style, so the sheet shows exactly the original text and no program evaluates it.
"""

from __future__ import annotations

from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def is_formula_like(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(FORMULA_STARTS)


def neutralise(value: Any) -> Any:
    """A CSV cell that a spreadsheet shows as text: ``'`` before formula-like text; anything else as is."""
    return "'" + value if is_formula_like(value) else value


def restore(value: Any) -> Any:
    """The original text of a :func:`neutralise` d cell (for programs reading the CSV back)."""
    if isinstance(value, str) and value.startswith("'") and is_formula_like(value[1:]):
        return value[1:]
    return value


def xlsx_cell(ws: Any, value: Any) -> Any:
    """A write-only openpyxl cell: formula-like text stays text (string type, quote prefix), unchanged."""
    from openpyxl.cell import WriteOnlyCell

    if not is_formula_like(value):
        return value
    cell = WriteOnlyCell(ws, value=value)
    cell.data_type = "s"  # openpyxl would store "=..." as a formula
    cell.quotePrefix = True
    return cell
