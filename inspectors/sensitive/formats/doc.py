"""doc and WPS wps: no maintained pure-Python reader, so text is recovered from the OLE file's runs.

Word stores text containing Chinese as UTF-16LE, so its runs are the document text. Approximate (no
piece table), so locations are not given; good enough to find IDs and markings.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from govinspect.formats import FORMATS
from inspectors.sensitive.formats.common import Deadline, Limits
from inspectors.sensitive.text import Chunk

FORMAT = FORMATS["doc"]
_UTF16_RUN = re.compile(rb"(?:[\x20-\x7e\t\r\n]\x00|[\x00-\xff][\x30-\x9f]){4,}")
_ASCII_RUN = re.compile(rb"[\x20-\x7e\t\r\n]{8,}")


def read(body: bytes, limits: Limits, deadline: Deadline, **_options) -> Iterator[Chunk]:
    runs = []
    for m in _UTF16_RUN.finditer(body):
        chunk = m.group()
        if len(chunk) % 2:
            chunk = chunk[:-1]
        runs.append(chunk.decode("utf-16-le", "ignore"))
    yield Chunk("正文（近似提取）", "\n".join(runs).replace("\r", "\n"))
    # Pieces without any non-Latin character are stored as 8-bit text.
    ascii_runs = (m.group().decode("latin-1") for m in _ASCII_RUN.finditer(body))
    yield Chunk("正文（近似提取）", "\n".join(ascii_runs).replace("\r", "\n"))
