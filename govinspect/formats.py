"""File formats the crawl and the inspectors both need to recognise: one table, read by both sides.

Chinese CMSs rarely link an attachment by a path ending in ``.xls``: 大汉 JCMS serves them from
``/module/download/downfile.jsp?classid=0&filename=202611150013.xls``, others from
``/attachment.do?id=123`` or ``getFile?fileId=…``. A format is therefore recognised from every signal
there is, best first: the bytes (magic), the ``Content-Disposition`` file name (often GBK bytes or
RFC 5987 encoded), the ``Content-Type``, the URL's ``filename=``-style query argument, the URL's
extension. The crawler reads this table to classify links (it may not import the inspectors); each
reader module under ``inspectors/sensitive/formats/`` names its entry here.

Pure module: standard library only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import parse_qsl, unquote_to_bytes, urlsplit

__all__ = [
    "ATTACHMENT_FORMATS", "FORMATS", "UNKNOWN", "Format", "by_extension", "by_media_type", "detect",
    "disposition_filename", "from_magic", "url_extension", "url_format",
]


@dataclass(frozen=True)
class Format:
    """One file format: how to recognise it. ``family`` groups formats that share a container."""

    name: str
    extensions: tuple[str, ...]
    media_types: tuple[str, ...] = ()
    magic: tuple[bytes, ...] = ()
    family: str = ""  # "zip", "ole": the container; members or streams tell siblings apart


ZIP, OLE = b"PK\x03\x04", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"

FORMATS: dict[str, Format] = {f.name: f for f in (
    Format("xlsx", ("xlsx", "xlsm"), ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                                      "application/vnd.ms-excel.sheet.macroenabled.12"), (ZIP,), "zip"),
    Format("docx", ("docx",), ("application/vnd.openxmlformats-officedocument.wordprocessingml.document",),
           (ZIP,), "zip"),
    Format("pptx", ("pptx",), ("application/vnd.openxmlformats-officedocument.presentationml.presentation",),
           (ZIP,), "zip"),
    Format("ofd", ("ofd",), ("application/ofd",), (ZIP,), "zip"),
    Format("xls", ("xls", "et"), ("application/vnd.ms-excel", "application/x-xls", "application/kset",
                                  "application/vnd.ms-works"), (OLE,), "ole"),
    Format("doc", ("doc", "wps"), ("application/msword", "application/kswps", "application/wps-office.wps"),
           (OLE,), "ole"),
    Format("ppt", ("ppt", "dps"), ("application/vnd.ms-powerpoint",), (OLE,), "ole"),
    Format("pdf", ("pdf",), ("application/pdf", "application/x-pdf"), (b"%PDF",)),
    Format("csv", ("csv",), ("text/csv", "application/csv", "text/comma-separated-values")),
    Format("txt", ("txt",), ("text/plain",)),
    Format("zip", ("zip",), ("application/zip", "application/x-zip-compressed"), (ZIP,), "zip"),
    Format("rar", ("rar",), ("application/x-rar-compressed", "application/vnd.rar", "application/x-rar"),
           (b"Rar!\x1a\x07",)),
    Format("7z", ("7z",), ("application/x-7z-compressed",), (b"7z\xbc\xaf\x27\x1c",)),
)}
# A file whose format nobody said (a download endpoint answering application/octet-stream).
UNKNOWN = Format("unknown", ())
# Every format above is an attachment for the crawl (checked, and downloaded when an inspector wants it).
ATTACHMENT_FORMATS = frozenset(FORMATS)
_BY_EXT = {ext: f for f in FORMATS.values() for ext in f.extensions}
_BY_TYPE = {t: f for f in FORMATS.values() for t in f.media_types}
# Query arguments that carry the served file's name on CMS download endpoints.
_NAME_ARGS = ("filename", "file_name", "fname", "name", "file", "filepath", "path", "fileurl", "attachname")
# Media types that say nothing about the format (a download endpoint's default).
_GENERIC_TYPES = ("application/octet-stream", "application/x-download", "application/force-download",
                  "application/download", "binary/octet-stream", "application/x-msdownload")


def by_extension(ext: str) -> Format | None:
    return _BY_EXT.get(ext.lower().lstrip("."))


def by_media_type(content_type: str | bytes | None) -> Format | None:
    if not content_type:
        return None
    if isinstance(content_type, bytes):
        content_type = content_type.decode("latin-1")
    return _BY_TYPE.get(content_type.split(";", 1)[0].strip().lower())


def _name_ext(name: str) -> str:
    name = name.strip().strip('"').rsplit("/", 1)[-1].rsplit("\\", 1)[-1]
    return name.rsplit(".", 1)[-1].lower() if "." in name else ""


def url_extension(url: str) -> str:
    """The extension of the URL's last path segment (``""`` when it has none)."""
    return _name_ext(urlsplit(url).path)


def url_format(url: str) -> Format | None:
    """The format a URL names: its path's extension, else a ``filename=``-style query argument.

    ``downfile.jsp?filename=1.xls`` is an xls; ``show.jsp?name=a.html`` stays a page (no format).
    """
    parts = urlsplit(url)
    found = by_extension(_name_ext(parts.path))
    if found is not None or not parts.query:
        return found
    for key, value in parse_qsl(parts.query, keep_blank_values=False):
        if key.lower() in _NAME_ARGS:
            found = by_extension(_name_ext(value))
            if found is not None:
                return found
    return None


_DISPOSITION_STAR = re.compile(r"""filename\*\s*=\s*([\w!#$%&+^`{}~-]*)'[^']*'([^;\s]+)""", re.I)
_DISPOSITION = re.compile(r"""filename\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;]+))""", re.I)


def _decode_header_bytes(raw: bytes) -> str:
    """Raw header bytes as text: UTF-8 when valid, else GB18030 (what Chinese servers send)."""
    for encoding in ("utf-8", "gb18030"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    return raw.decode("latin-1")


def disposition_filename(header: str | bytes | None) -> str | None:
    """The file name of a ``Content-Disposition`` header, decoded.

    RFC 5987 ``filename*=UTF-8''%E5%90%8D.xls`` (or ``GBK''…``) wins; a plain ``filename=`` may hold raw
    GBK or UTF-8 bytes, or percent-encoded bytes of either (both seen on Chinese servers).
    """
    if not header:
        return None
    raw = header if isinstance(header, bytes) else header.encode("latin-1", "replace")
    text = raw.decode("latin-1")
    star = _DISPOSITION_STAR.search(text)
    if star:
        charset = star.group(1) or "utf-8"
        data = unquote_to_bytes(star.group(2))
        try:
            return data.decode(charset)
        except (LookupError, UnicodeDecodeError):
            return _decode_header_bytes(data)
    plain = _DISPOSITION.search(text)
    if not plain:
        return None
    value = plain.group(1) if plain.group(1) is not None else plain.group(2).strip()
    data = value.encode("latin-1")
    if b"%" in data:
        data = unquote_to_bytes(data)
    return _decode_header_bytes(data)


def _zip_member(head: bytes) -> Format | None:
    """Tell zip siblings apart by the member names in the first local headers."""
    if b"word/" in head:
        return FORMATS["docx"]
    if b"xl/" in head:
        return FORMATS["xlsx"]
    if b"ppt/" in head:
        return FORMATS["pptx"]
    if b"OFD.xml" in head or b"Doc_0/" in head:
        return FORMATS["ofd"]
    if b"[Content_Types].xml" in head:
        return None  # OOXML, part names beyond the head: the name decides
    return FORMATS["zip"]


def _ole_stream(body: bytes) -> Format | None:
    window = body[:1 << 20]
    if "Workbook".encode("utf-16-le") in window or "Book".encode("utf-16-le") in window:
        return FORMATS["xls"]
    if "WordDocument".encode("utf-16-le") in window:
        return FORMATS["doc"]
    if "PowerPoint Document".encode("utf-16-le") in window:
        return FORMATS["ppt"]
    return None


def from_magic(body: bytes) -> Format | None:
    """The format the bytes say, or None (text, HTML, or unknown). Containers resolved by content."""
    if body.startswith(ZIP):
        return _zip_member(body[:65536])
    if body.startswith(OLE):
        return _ole_stream(body)
    if body[:1024].lstrip()[:4] == b"%PDF":
        return FORMATS["pdf"]
    for f in FORMATS.values():
        if f.family == "" and f.magic and body.startswith(f.magic):
            return f
    return None


def detect(url: str, content_type: str | bytes | None = None, disposition: str | bytes | None = None,
           body: bytes | None = None) -> Format | None:
    """The format of a downloaded file from every signal, best first; None when it is not a file.

    The bytes decide between containers (a ``.xls`` name on zip bytes is an xlsx); the name (header,
    then URL) decides within a container family the bytes cannot resolve, and for text formats.
    """
    named = None
    name = disposition_filename(disposition)
    if name:
        named = by_extension(_name_ext(name))
    typed = by_media_type(content_type)
    named = named or typed or url_format(url)
    if body:
        magic = from_magic(body)
        if magic is not None:
            return magic
        if body.startswith(ZIP) and named is not None and named.family == "zip":
            return named
        if body.startswith(OLE):
            return named if named is not None and named.family == "ole" else FORMATS["doc"]
        if named is not None and named.magic and not named.family:
            return named  # claims pdf/rar without the bytes: let the reader say it is broken
        if named is not None and named.family:
            return named  # claims an Office format without the container: reader reports a mismatch
    return named


def is_generic_type(content_type: str | bytes | None) -> bool:
    """``application/octet-stream`` and friends: a download endpoint's answer that says nothing."""
    if not content_type:
        return False
    if isinstance(content_type, bytes):
        content_type = content_type.decode("latin-1")
    return content_type.split(";", 1)[0].strip().lower() in _GENERIC_TYPES


def is_attachment_response(url: str, content_type: str | bytes | None, disposition: str | bytes | None) -> bool:
    """Do the headers say this answer is a file to save (not a page)? Used on link-check answers."""
    if disposition:
        text = disposition.decode("latin-1") if isinstance(disposition, bytes) else disposition
        name = disposition_filename(text)
        if name and by_extension(_name_ext(name)) is not None:
            return True  # a file name of a known format, inline or not
        ctype = (content_type.decode("latin-1") if isinstance(content_type, bytes) else content_type or "").lower()
        if text.strip().lower().startswith("attachment") and "html" not in ctype:
            return True
    if by_media_type(content_type) is not None and not _is_text(content_type):
        return True
    return is_generic_type(content_type) and url_format(url) is not None


def _is_text(content_type: str | bytes | None) -> bool:
    if isinstance(content_type, bytes):
        content_type = content_type.decode("latin-1")
    return (content_type or "").lower().startswith("text/")
