"""Text extraction from attachments: recognise the format, then hand the bytes to its reader.

The readers live one per format in :mod:`inspectors.sensitive.formats`; the format table (magic
bytes, extensions, media types) in :mod:`govinspect.formats`, shared with the crawler. This module
keeps the entry points older callers use: ``extract(body, ext, limits)`` and ``sniff(body, ext)``.
"""

from __future__ import annotations

from collections.abc import Iterator

from govinspect import formats
from inspectors.sensitive.formats import read
from inspectors.sensitive.formats.common import (
    Deadline,
    Limits,
    TimeUp,
    UnreadableFile,
    UnsafeFile,
    decode_text,
    open_zip,
    table_chunk,
)
from inspectors.sensitive.text import Chunk

__all__ = [
    "Deadline", "Limits", "TimeUp", "UnreadableFile", "UnsafeFile", "decode_text", "extract", "open_zip",
    "recognise", "sniff", "table_chunk",
]
_OLE_ENCRYPTED = "EncryptedPackage".encode("utf-16-le")


def recognise(body: bytes, ext: str = "", content_type: str | None = None,
              disposition: str | None = None) -> formats.Format:
    """The format to read: magic bytes first (names lie), then the names (header, URL) and type.

    Raises :class:`UnreadableFile` for encrypted Office files and for bytes that contradict the name.
    """
    if body.startswith(formats.OLE) and _OLE_ENCRYPTED in body[:1 << 20]:
        raise UnreadableFile("encrypted (password-protected) Office file")
    named = formats.detect("", content_type, disposition, None) or formats.by_extension(ext)
    found = formats.from_magic(body)
    if found is None and body.startswith(formats.ZIP):
        found = named if named is not None and named.family == "zip" else formats.FORMATS["xlsx"]
    if found is None and body.startswith(formats.OLE):
        found = named if named is not None and named.family == "ole" else formats.FORMATS["doc"]
    if found is not None:
        if found.name == "zip" and named is not None and named.family == "zip":
            return named  # an OOXML whose first members are not the telling ones
        return found
    if named is not None and (named.magic or named.family):
        raise UnreadableFile(f"not a {ext or named.name} file (content does not match the name)")
    return named or formats.FORMATS["txt"]


def sniff(body: bytes, ext: str) -> str:
    """The format's name, or ``encrypted-ooxml`` / ``mismatch`` (for log lines)."""
    try:
        return recognise(body, ext).name
    except UnreadableFile as exc:
        return "encrypted-ooxml" if "encrypted" in str(exc) else "mismatch"


def extract(body: bytes, ext: str, limits: Limits, xlsx_reader: str = "fast", content_type: str | None = None,
            disposition: str | None = None) -> Iterator[Chunk]:
    """Chunks of text from an attachment; raises :class:`UnreadableFile` or :class:`TimeUp`."""
    if len(body) > limits.max_bytes:
        raise UnsafeFile(f"file of {len(body)} bytes exceeds LEAK_ATTACHMENT_MAX_BYTES")
    fmt = recognise(body, ext, content_type, disposition)
    yield from read(body, fmt, limits, ext=ext, xlsx_reader=xlsx_reader)
