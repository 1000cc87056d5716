"""xlsx/xlsm: a streaming SpreadsheetML flattener (openpyxl read-only as the fallback reader)."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator

from lxml import etree

from govinspect.formats import FORMATS
from inspectors.sensitive.formats.common import (
    XML,
    Deadline,
    Limits,
    UnreadableFile,
    UnsafeFile,
    open_zip,
    read_member,
    strip_tags,
    table_chunk,
    xml_text,
)
from inspectors.sensitive.text import Chunk, column_letter

FORMAT = FORMATS["xlsx"]
SSML = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
# Markers put into sheet XML before it is flattened: private-use characters are valid XML text.
ROW_MARK, SST_MARK, SI_MARK = "\ue000", "\ue001", "\ue002"
ROW_MARK_B, SST_MARK_B = ROW_MARK.encode(), SST_MARK.encode()


def read(body: bytes, limits: Limits, deadline: Deadline, ext: str = "", xlsx_reader: str = "fast") -> Iterator[Chunk]:
    zf = open_zip(body, limits)
    if xlsx_reader == "openpyxl":
        yield from _openpyxl(body, limits, deadline)
    else:
        yield from _fast(zf, limits, deadline)


def _sheet_names(zf: zipfile.ZipFile) -> list[tuple[str, str]]:
    """(sheet name, member path) in workbook order, from workbook.xml and its relationships."""
    names = set(zf.namelist())
    try:
        wb = etree.fromstring(read_member(zf, "xl/workbook.xml"), XML)
        rels = etree.fromstring(read_member(zf, "xl/_rels/workbook.xml.rels"), XML)
        targets = {r.get("Id"): r.get("Target", "") for r in rels}
        out = []
        for sheet in wb.iter(SSML + "sheet", "{*}sheet"):
            rid = next((v for k, v in sheet.attrib.items() if k.endswith("}id")), None)
            target = targets.get(rid, "").lstrip("/")
            path = target if target.startswith("xl/") else "xl/" + target
            if path in names:
                out.append((sheet.get("name") or path, path))
        if out:
            return out
    except (UnreadableFile, etree.XMLSyntaxError, KeyError):
        pass
    return [(n.rsplit("/", 1)[-1][:-4], n) for n in sorted(names)
            if n.startswith("xl/worksheets/") and n.endswith(".xml")]


def _shared_strings(zf: zipfile.ZipFile) -> list[str]:
    if "xl/sharedStrings.xml" not in zf.namelist():
        return []
    raw = read_member(zf, "xl/sharedStrings.xml")
    # Phonetic runs (<rPh>) are not cell text.
    if b"<rPh" in raw:
        raw = re.sub(rb"<rPh\b.*?</rPh>", b"", raw, flags=re.S)
    raw = raw.replace(b"</si>", SI_MARK.encode())
    text = xml_text(strip_tags(raw))
    return text.replace("\n", " ").replace("\t", " ").split(SI_MARK)[:-1]


_ROW = re.compile(rb'<row\b[^>]*?\br="(\d+)"')
_SHARED_CELL = re.compile(rb'(<c\b[^>]*?\bt="s"[^>]*>\s*<v>)')
_FORMULA = re.compile(rb"<f\b[^>]*/>|<f\b[^>]*>[^<]*</f>")
_SST_REF = re.compile(SST_MARK + r"(\d+)")
_CELL_TAG = re.compile(rb"<c\b([^>]*?)(/?)>")
_REF = re.compile(rb'\br="([A-Z]{1,3})\d+"')
def _fast(zf: zipfile.ZipFile, limits: Limits, deadline: Deadline) -> Iterator[Chunk]:
    """Flatten each sheet to one line per row ("N" + ROW_MARK + tab-separated cells) in C-speed passes.

    Per-cell Python work (openpyxl) reads about 0.5 MB/s of xlsx, an lxml parse about 2 MB/s; byte
    replacements and one tag-stripping regex read the sheet XML at well over 100 MB/s. SpreadsheetML
    cell text never contains markup, so stripping tags is exact; entities are decoded afterwards.
    Column letters are resolved only for the few hits reported, from the raw row XML.
    """
    sst = _shared_strings(zf)
    cells = 0
    sheet_data = re.compile(rb"<(?:\w+:)?sheetData\b")
    for name, path in _sheet_names(zf):
        deadline.check()
        raw = read_member(zf, path)
        cells += raw.count(b"</c>")
        if cells > limits.max_cells:
            raise UnsafeFile(f"more than {limits.max_cells} cells (LEAK_ATTACHMENT_MAX_CELLS)")
        found = sheet_data.search(raw)
        if found is None:
            if b"<worksheet" not in raw and b":worksheet" not in raw:
                raise UnreadableFile(f"broken sheet {name}: no worksheet element")
            continue
        b = raw[found.start():]
        b = b.replace(b"</c>", b"\t").replace(b"</row>", b"\n")
        if b"<f" in b:
            b = _FORMULA.sub(b"", b)
        b = _ROW.sub(lambda m: m.group(1) + ROW_MARK_B + m.group(0), b)
        if sst:
            b = _SHARED_CELL.sub(lambda m: m.group(1) + SST_MARK_B, b)
        text = xml_text(strip_tags(b))
        if sst:
            text = _SST_REF.sub(lambda m: sst[int(m.group(1))] if int(m.group(1)) < len(sst) else "", text)
        yield Chunk(name, text, resolver=_resolver(name, text, raw))
        deadline.check()


def _resolver(sheet: str, text: str, raw: bytes):
    def locate(offset: int) -> str:
        start = text.rfind("\n", 0, offset) + 1
        head, _, _ = text[start:offset].partition(ROW_MARK)
        row = head.strip()
        column = text[start:offset].count("\t")
        letter = column_letter(column)
        pos = raw.find(b'<row r="' + row.encode() + b'"')
        if pos >= 0:
            end = raw.find(b"</row>", pos)
            refs = [m for m in _CELL_TAG.finditer(raw, pos, end if end > 0 else len(raw)) if not m.group(2)]
            if column < len(refs):
                ref = _REF.search(refs[column].group(1))
                if ref:
                    letter = ref.group(1).decode()
        return f"{sheet}!{letter}{row}"

    return locate


def _openpyxl(body: bytes, limits: Limits, deadline: Deadline) -> Iterator[Chunk]:
    import openpyxl

    try:
        wb = openpyxl.load_workbook(io.BytesIO(body), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for broken files
        raise UnreadableFile(f"openpyxl cannot open: {exc}") from None
    try:
        for ws in wb.worksheets:
            rows = ((r, [(c, v) for c, v in enumerate(values) if v is not None])
                    for r, values in enumerate(ws.iter_rows(values_only=True), 1))
            yield table_chunk(ws.title, rows, deadline, limits.max_cells, "{sheet}!{col}{row}")
    finally:
        wb.close()


