"""csv: decoded like any text file (UTF-8, UTF-16, GB18030…), then read as a table of rows and cells."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

from govinspect.formats import FORMATS
from inspectors.sensitive.formats.common import Deadline, Limits, UnreadableFile, UnsafeFile, decode_text
from inspectors.sensitive.text import Chunk, column_letter

FORMAT = FORMATS["csv"]


def read(body: bytes, limits: Limits, deadline: Deadline, **_options) -> Iterator[Chunk]:
    text = decode_text(body)
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t|")
    except csv.Error:
        dialect = csv.excel
    try:
        rows = list(csv.reader(io.StringIO(text), dialect))
    except csv.Error as exc:
        raise UnreadableFile(f"broken CSV: {exc}") from None
    deadline.check()
    if sum(map(len, rows)) > limits.max_cells:
        raise UnsafeFile(f"more than {limits.max_cells} cells (LEAK_ATTACHMENT_MAX_CELLS)")
    # One line per row, a tab between cells, joined in C; a cell's row and column are worked out
    # only for the few hits reported (per-cell Python work cost more than detecting).
    flat = "\n".join(map("\t".join, rows)) + "\n"
    yield Chunk("", flat, resolver=lambda offset: _where(flat, offset))


def _where(text: str, offset: int) -> str:
    start = text.rfind("\n", 0, offset) + 1
    row = text.count("\n", 0, start) + 1
    return f"第{row}行{column_letter(text.count(chr(9), start, offset))}列"
