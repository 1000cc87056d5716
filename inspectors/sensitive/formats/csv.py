"""csv: decoded like any text file (UTF-8, UTF-16, GB18030…), then read as a table of rows and cells."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

from govinspect.formats import FORMATS
from inspectors.sensitive.formats.common import Deadline, Limits, UnreadableFile, decode_text, table_chunk
from inspectors.sensitive.text import Chunk

FORMAT = FORMATS["csv"]


def read(body: bytes, limits: Limits, deadline: Deadline, **_options) -> Iterator[Chunk]:
    text = decode_text(body)
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t|")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text), dialect)
    rows = ((r, [(c, v) for c, v in enumerate(values) if v]) for r, values in enumerate(reader, 1))
    try:
        yield table_chunk("", rows, deadline, limits.max_cells, "第{row}行{col}列")
    except csv.Error as exc:
        raise UnreadableFile(f"broken CSV: {exc}") from None
