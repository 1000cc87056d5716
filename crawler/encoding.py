"""Decoding Chinese pages right: GBK/GB2312/GB18030 declared by header, by ``<meta>``, or not at all.

Scrapy's fallback for undeclared pages tries UTF-8 then cp1252, which turns GBK into mojibake. We
check the declared encoding against the bytes and, when nothing is declared or the declaration is
wrong, try UTF-8, then GB18030 (a superset of GBK and GB2312), then a statistical detector.
"""

from __future__ import annotations

import codecs

from w3lib.encoding import html_body_declared_encoding, http_content_type_encoding, read_bom

# GB2312 and GBK pages routinely contain characters only GB18030 (their superset) defines.
_SUPERSETS = {"gb2312": "gb18030", "gbk": "gb18030", "gb_2312-80": "gb18030", "x-gbk": "gb18030",
              "ascii": "utf-8", "us-ascii": "utf-8", "iso-8859-1": "cp1252", "latin-1": "cp1252"}


def _canonical(name: str | None) -> str | None:
    if not name:
        return None
    try:
        name = codecs.lookup(name).name
    except LookupError:
        return None
    return _SUPERSETS.get(name, name)


def declared_encoding(body: bytes, content_type: str | None) -> str | None:
    """The encoding a page declares: BOM, then HTTP header, then ``<meta>``."""
    bom, _ = read_bom(body)
    if bom:
        return _canonical(bom)
    return _canonical(http_content_type_encoding(content_type or "")) or _canonical(
        html_body_declared_encoding(body[:4096])
    )


def _decodes(body: bytes, encoding: str) -> bool:
    try:
        body.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        return False
    return True


def detect_encoding(body: bytes, content_type: str | None = None) -> tuple[str, bool]:
    """Pick the encoding to decode ``body`` with; the flag says whether the page declared it."""
    declared = declared_encoding(body, content_type)
    if declared and _decodes(body, declared):
        return declared, True
    for candidate in ("utf-8", "gb18030"):
        if candidate != declared and _decodes(body, candidate):
            return candidate, False
    from charset_normalizer import from_bytes

    best = from_bytes(body[:65536]).best()
    if best is not None:
        return _canonical(best.encoding) or best.encoding, False
    return declared or "gb18030", False
