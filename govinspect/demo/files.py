"""Small but real attachment and image files for the demo sites.

PDFs are written by hand with the standard Adobe CJK font STSong-Light (not embedded), which keeps
them tiny, fast to make and readable by pdfminer; xlsx/docx come from openpyxl/python-docx.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import struct
import zipfile
import zlib
from collections.abc import Sequence

_PDF_FONT = (
    "<< /Type /Font /Subtype /Type0 /BaseFont /STSong-Light /Encoding /UniGB-UCS2-H /DescendantFonts [5 0 R] >>",
    "<< /Type /Font /Subtype /CIDFontType0 /BaseFont /STSong-Light "
    "/CIDSystemInfo << /Registry (Adobe) /Ordering (GB1) /Supplement 2 >> /FontDescriptor 6 0 R >>",
    "<< /Type /FontDescriptor /FontName /STSong-Light /Flags 6 /FontBBox [-25 -254 1000 880] "
    "/ItalicAngle 0 /Ascent 880 /Descent -120 /CapHeight 880 /StemV 93 >>",
)


FIXED_TIME = dt.datetime(2026, 1, 1, 8, 0, 0)
_MODIFIED = re.compile(rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)")


def _stable_zip(data: bytes) -> bytes:
    """Re-pack an OOXML zip with fixed entry times, so the same seed gives the same bytes."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=FIXED_TIME.timetuple()[:6])
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = info.external_attr
            content = src.read(info.filename)
            if info.filename == "docProps/core.xml":  # openpyxl stamps "modified" at save time
                content = _MODIFIED.sub(rb"\g<1>2026-01-01T08:00:00Z\g<2>", content)
            dst.writestr(fixed, content)
    return out.getvalue()


def _ucs2(text: str) -> str:
    return "".join(f"{ord(ch):04X}" for ch in text if ord(ch) < 0x10000)


def make_pdf(title: str, lines: Sequence[str]) -> bytes:
    """A one-page PDF whose text (title, then one line per entry) pdfminer can extract."""
    ops = ["BT", "/F1 16 Tf", "50 790 Td", f"<{_ucs2(title)}> Tj", "/F1 11 Tf"]
    for line in list(lines)[:60]:
        ops += ["0 -18 Td", f"<{_ucs2(line)}> Tj"]
    ops.append("ET")
    stream = "\n".join(ops).encode("ascii")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R >> >> "
        b"/Contents 7 0 R >>",
        *(o.encode("ascii") for o in _PDF_FONT),
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for n, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % n + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % off for off in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def make_xlsx(title: str, rows: Sequence[Sequence[object]]) -> bytes:
    """A workbook with the title in A1 and ``rows`` below it."""
    from openpyxl import Workbook

    wb = Workbook()
    wb.properties.created = wb.properties.modified = FIXED_TIME
    ws = wb.active
    ws.title = "Sheet1"
    ws.append([title])
    for row in rows:
        ws.append(list(row))
    buf = io.BytesIO()
    wb.save(buf)
    return _stable_zip(buf.getvalue())


def make_docx(title: str, paragraphs: Sequence[str]) -> bytes:
    """A Word document with a heading and paragraphs."""
    import docx

    doc = docx.Document()
    props = doc.core_properties
    props.author = "demo"
    props.created = props.modified = props.last_printed = FIXED_TIME
    doc.add_heading(title, level=1)
    for para in paragraphs:
        doc.add_paragraph(para)
    buf = io.BytesIO()
    doc.save(buf)
    return _stable_zip(buf.getvalue())


def make_attachment(kind: str, title: str, lines: Sequence[str]) -> bytes:
    """Dispatch on the file extension: lines become PDF lines, docx paragraphs or xlsx rows."""
    if kind == "pdf":
        return make_pdf(title, lines)
    if kind == "docx":
        return make_docx(title, lines)
    if kind == "xlsx":
        return make_xlsx(title, [line.split("\t") for line in lines])
    raise ValueError(f"unsupported attachment kind {kind!r}")


def _chunk(tag: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)


def make_png(width: int, height: int, colour: tuple[int, int, int], dot: tuple[int, int, int] | None = None) -> bytes:
    """A solid RGB PNG, optionally with a centred square ``dot``; stdlib only."""
    row_plain = bytes(colour) * width
    rows = []
    for y in range(height):
        if dot and height // 3 <= y < 2 * height // 3:
            third = width // 3
            row = bytes(colour) * third + bytes(dot) * (width - 2 * third) + bytes(colour) * third
        else:
            row = row_plain
        rows.append(b"\x00" + row)
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", ihdr)
        + _chunk(b"IDAT", zlib.compress(b"".join(rows), 9))
        + _chunk(b"IEND", b"")
    )
