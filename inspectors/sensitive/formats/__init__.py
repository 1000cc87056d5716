"""Attachment readers, one module per format (the shape of lychee's ``extract/``).

Each module names its entry of :data:`govinspect.formats.FORMATS` (magic bytes, extensions, media
types: the table the crawler reads too) as ``FORMAT`` and provides ``read(body, limits, deadline,
**options)`` yielding :class:`Chunk` objects. A new format is a table entry and a module here.
"""

from __future__ import annotations

from collections.abc import Iterator
from types import ModuleType

from govinspect.formats import Format
from inspectors.sensitive.formats import csv, doc, docx, pdf, txt, xls, xlsx
from inspectors.sensitive.formats.common import Deadline, Limits, UnreadableFile, UnsafeFile
from inspectors.sensitive.text import Chunk

READERS: dict[str, ModuleType] = {m.FORMAT.name: m for m in (xlsx, xls, docx, doc, pdf, csv, txt)}

__all__ = ["READERS", "read", "readable"]


def readable(fmt: Format | None) -> bool:
    return fmt is not None and fmt.name in READERS


def read(body: bytes, fmt: Format, limits: Limits, ext: str = "", xlsx_reader: str = "fast") -> Iterator[Chunk]:
    """Chunks of text of a file already recognised as ``fmt``; raises UnreadableFile or TimeUp."""
    if len(body) > limits.max_bytes:
        raise UnsafeFile(f"file of {len(body)} bytes exceeds LEAK_ATTACHMENT_MAX_BYTES")
    reader = READERS.get(fmt.name)
    if reader is None:
        raise UnreadableFile(f"no reader for {fmt.name} files")
    yield from reader.read(body, limits, Deadline(limits.max_seconds), ext=ext, xlsx_reader=xlsx_reader)
