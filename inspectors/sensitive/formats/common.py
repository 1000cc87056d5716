"""What every attachment reader shares: limits, deadlines, failures, zip safety, table chunks, text decoding."""

from __future__ import annotations

import io
import re
import time
import zipfile
import zlib
from dataclasses import dataclass
from itertools import chain

import numpy as np
from lxml import etree

from inspectors.sensitive.text import Chunk, column_letter

XML = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True, recover=False)

class UnreadableFile(Exception):
    """Broken, truncated, encrypted or unsupported: logged once, never a crash."""


class UnsafeFile(UnreadableFile):
    """Refused before opening: zip bomb, too many members, too big."""


class TimeUp(Exception):
    """The per-file time budget ran out; what was read so far still counts."""


@dataclass
class Limits:
    """Bounds of one attachment's reading; the values are the LEAK_* settings (``from_settings``)."""

    max_bytes: int
    max_seconds: float
    max_cells: int
    pdf_max_pages: int
    zip_max_uncompressed: int
    zip_max_ratio: float
    zip_max_members: int

    @classmethod
    def from_settings(cls, s) -> Limits:
        return cls(
            s.getint("LEAK_ATTACHMENT_MAX_BYTES"),
            s.getfloat("LEAK_ATTACHMENT_MAX_SECONDS"),
            s.getint("LEAK_ATTACHMENT_MAX_CELLS"),
            s.getint("LEAK_PDF_MAX_PAGES"),
            s.getint("LEAK_ZIP_MAX_UNCOMPRESSED"),
            s.getfloat("LEAK_ZIP_MAX_RATIO"),
            s.getint("LEAK_ZIP_MAX_MEMBERS"),
        )


class Deadline:
    def __init__(self, seconds: float):
        self.end = time.monotonic() + seconds

    def check(self) -> None:
        if time.monotonic() > self.end:
            raise TimeUp()


def open_zip(body: bytes, limits: Limits) -> zipfile.ZipFile:
    """Open a zip only after its directory says it is safe: size, ratio, member count, encryption.

    ``zipfile`` never inflates a member past its declared size, so checking the declared sizes
    bounds the memory any reader (ours, openpyxl, python-docx) can use.
    """
    try:
        zf = zipfile.ZipFile(io.BytesIO(body))
        infos = zf.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise UnreadableFile(f"broken or truncated zip container: {exc}") from None
    if len(infos) > limits.zip_max_members:
        raise UnsafeFile(f"zip with {len(infos)} members (limit {limits.zip_max_members})")
    total = sum(i.file_size for i in infos)
    packed = sum(i.compress_size for i in infos) or 1
    if total > limits.zip_max_uncompressed:
        raise UnsafeFile(f"zip bomb suspected: {total} bytes uncompressed (limit {limits.zip_max_uncompressed})")
    if total > 1 << 20 and total / packed > limits.zip_max_ratio:
        ratio = total / packed
        raise UnsafeFile(f"zip bomb suspected: compression ratio {ratio:.0f} (limit {limits.zip_max_ratio:.0f})")
    if any(i.flag_bits & 0x1 for i in infos):
        raise UnreadableFile("encrypted zip members")
    return zf


def read_member(zf: zipfile.ZipFile, name: str) -> bytes:
    try:
        return zf.read(name)
    except (zipfile.BadZipFile, OSError, EOFError, zlib.error) as exc:
        raise UnreadableFile(f"cannot read {name}: {exc}") from None


TAG = re.compile(rb"<[^>]*>")
_ENTITY = re.compile(r"&(#[0-9]+|#x[0-9a-fA-F]+|amp|lt|gt|quot|apos);")
_NAMED = {"amp": "&", "lt": "<", "gt": ">", "quot": '"', "apos": "'"}


def _entity(m: re.Match) -> str:
    name = m.group(1)
    if name[0] != "#":
        return _NAMED[name]
    try:
        return chr(int(name[2:], 16) if name[1] in "xX" else int(name[1:]))
    except (ValueError, OverflowError):
        return ""


def _unescape(text: str) -> str:
    return _ENTITY.sub(_entity, text) if "&" in text else text


def strip_tags(data: bytes) -> bytes:
    """``TAG.sub(b"", data)`` in numpy: each tag is cut by a mask instead of a regex match apiece (a
    sheet has a few tags per cell). Exact when every ``<`` closes before the next one opens, as in
    any well-formed XML; other bytes go to the regex."""
    if len(data) < 1 << 16:
        return TAG.sub(b"", data)
    if len(data) > STRIP_PIECE_BYTES:  # pieces cut after a '>' (no tag spans one): bounded memory
        pieces, start = [], 0
        while start < len(data):
            cut = data.find(b">", start + STRIP_PIECE_BYTES) + 1 or len(data)
            pieces.append(_strip_tags(data[start:cut]))
            start = cut
        return b"".join(pieces)
    return _strip_tags(data)


STRIP_PIECE_BYTES = 16 << 20


def _strip_tags(data: bytes) -> bytes:
    arr = np.frombuffer(data, dtype=np.uint8)
    opens = np.flatnonzero(arr == 60)
    closes = np.flatnonzero(arr == 62)
    if len(opens) == len(closes) and (opens < closes).all() and (closes[:-1] < opens[1:]).all():
        ends = closes  # '<' and '>' alternate: the usual case
    else:
        nxt = np.searchsorted(closes, opens)
        closed = nxt < len(closes)  # a '<' with no '>' after it is text (so is every later '<')
        opens, ends = opens[closed], closes[nxt[closed]]
        if len(opens) > 1 and not (ends[:-1] < opens[1:]).all():
            return TAG.sub(b"", data)
    # Kept and cut spans alternate: text, tag, text, …, text; one mask by repeating True/False.
    bounds = np.empty(2 * len(opens) + 2, dtype=np.int64)
    bounds[0], bounds[-1] = 0, len(arr)
    bounds[1:-1:2] = opens
    bounds[2:-1:2] = ends + 1
    keep = np.zeros(len(bounds) - 1, dtype=bool)
    keep[0::2] = True
    return arr[np.repeat(keep, np.diff(bounds))].tobytes()


def xml_text(data: bytes) -> str:
    """Tag-free XML character data as text; libxml2 decodes the entities (writers such as openpyxl
    escape every CJK character as ``&#NNNNN;``, too many for a Python callback each)."""
    if b"&" not in data:
        return data.decode("utf-8", "replace")
    try:
        return etree.fromstring(b"<x>" + data + b"</x>", XML).text or ""
    except etree.XMLSyntaxError:
        return _unescape(data.decode("utf-8", "replace"))


def cell_text(value) -> str:
    """Cell values as a person reads them: 3.416e17 floats that hold integers become digits."""
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e20:
            return str(int(value))
        return repr(value)
    return str(value).replace("\n", " ").replace("\t", " ")


def table_chunk(where: str, rows, deadline: Deadline, max_cells: int, fmt: str) -> Chunk:
    """One chunk for a table: a line per row, tab between cells, a location mark per cell."""
    parts: list[str] = []
    marks: list[int] = []
    labels: list[str] = []
    pos = cells = 0
    for n, (row, values) in enumerate(rows):
        if n % 2000 == 0:
            deadline.check()
        for col, value in values:
            text = cell_text(value)
            if not text:
                continue
            marks.append(pos)
            labels.append((col, row))
            parts.append(text + "\t")
            pos += len(text) + 1
            cells += 1
        parts.append("\n")
        pos += 1
        if cells > max_cells:
            raise UnsafeFile(f"more than {max_cells} cells (LEAK_ATTACHMENT_MAX_CELLS)")
    return Chunk(where, "".join(parts), marks, labels, label_fmt=fmt)


_PLAIN = frozenset({str, int})


def grid_chunk(where: str, grid: list[list], deadline: Deadline, max_cells: int, fmt: str) -> Chunk:
    """:func:`table_chunk` for a dense grid (calamine's rows, ``""`` for an empty cell), the same text
    and locations: rows of plain strings and integers are joined in C, and a cell's column is worked
    out only for the few hits reported (per-cell Python work cost more than scanning the sheet)."""
    text = _plain_grid_text(grid, max_cells)
    if text is None:
        text = _grid_text(grid, deadline, max_cells)

    def locate(offset: int) -> str:
        start = text.rfind("\n", 0, offset) + 1
        row = text.count("\n", 0, start)
        columns = [c for c, v in enumerate(grid[row]) if v != "" and cell_text(v)]
        col = columns[min(text.count("\t", start, offset), len(columns) - 1)]
        return where + fmt.format(sheet="", col=column_letter(col), row=row + 1)

    return Chunk(where, text, resolver=locate)


def _plain_grid_text(grid: list[list], max_cells: int) -> str | None:
    """A grid of only strings and integers, no empty cell: every row joined in one pass (None: not so)."""
    if not grid or not all(grid) or not _PLAIN.issuperset(set(map(type, chain.from_iterable(grid)))) or any(
            "" in row for row in grid):
        return None
    cells = sum(map(len, grid))
    if cells > max_cells:
        raise UnsafeFile(f"more than {max_cells} cells (LEAK_ATTACHMENT_MAX_CELLS)")
    text = "\t\n".join(["\t".join(map(str, row)) for row in grid]) + "\t\n"
    # a tab or line break inside a cell would move the cells after it: those grids go row by row
    return text if text.count("\t") == cells and text.count("\n") == len(grid) else None


def _grid_text(grid: list[list], deadline: Deadline, max_cells: int) -> str:
    lines: list[str] = []
    cells = 0
    for n, row in enumerate(grid):
        if n % 2000 == 0:
            deadline.check()
        values = [v for v in row if v != ""]
        if not values:
            lines.append("")
            continue
        line = "\t".join(map(str, values)) if _PLAIN.issuperset(map(type, values)) else None
        if line is None or line.count("\t") != len(values) - 1 or "\n" in line:
            values = [t for t in map(cell_text, values) if t]  # floats, dates, tabs or newlines in a cell
            line = "\t".join(values)
        cells += len(values)
        lines.append(line + "\t" if values else "")
        if cells > max_cells:
            raise UnsafeFile(f"more than {max_cells} cells (LEAK_ATTACHMENT_MAX_CELLS)")
    return "\n".join(lines) + "\n" if lines else ""


def decode_text(body: bytes) -> str:
    """UTF-8 (BOM or not), UTF-16 with BOM, GB18030 (GBK superset), then charset-normalizer."""
    if body.startswith(b"\xef\xbb\xbf"):
        return body[3:].decode("utf-8", "replace")
    if body.startswith((b"\xff\xfe", b"\xfe\xff")):
        return body.decode("utf-16", "replace")
    for encoding in ("utf-8", "gb18030"):
        try:
            return body.decode(encoding)
        except UnicodeDecodeError:
            continue
    from charset_normalizer import from_bytes

    best = from_bytes(body[:262144]).best()
    return body.decode(best.encoding if best else "gb18030", "replace")


def line_marks(text: str) -> tuple[list[int], list[str]]:
    marks = [0] + [m.end() for m in re.finditer("\n", text)]
    return marks, [f"第{n}行" for n in range(1, len(marks) + 1)]


