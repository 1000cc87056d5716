"""xls and WPS et: legacy binary workbooks through calamine (Rust), about 30x faster than xlrd here."""

from __future__ import annotations

import io
from collections.abc import Iterator

from govinspect.formats import FORMATS
from inspectors.sensitive.formats import doc
from inspectors.sensitive.formats.common import Deadline, Limits, UnreadableFile, grid_chunk
from inspectors.sensitive.text import Chunk

FORMAT = FORMATS["xls"]


def read(body: bytes, limits: Limits, deadline: Deadline, ext: str = "", **_options) -> Iterator[Chunk]:
    try:
        yield from _calamine(body, limits, deadline)
    except UnreadableFile:
        if ext != "et":
            raise
        yield from doc.read(body, limits, deadline)  # some WPS et files: text runs only


def _calamine(body: bytes, limits: Limits, deadline: Deadline) -> Iterator[Chunk]:
    from python_calamine import CalamineWorkbook

    try:
        book = CalamineWorkbook.from_filelike(io.BytesIO(body))
        names = list(book.sheet_names)
    except Exception as exc:  # CalamineError, encrypted or not a workbook
        raise UnreadableFile(f"calamine cannot open: {exc}") from None
    for name in names:
        deadline.check()
        try:
            values = book.get_sheet_by_name(name).to_python(skip_empty_area=False)
        except Exception as exc:
            raise UnreadableFile(f"sheet {name!r} unreadable: {exc}") from None
        yield grid_chunk(name, values, deadline, limits.max_cells, "!{col}{row}")
