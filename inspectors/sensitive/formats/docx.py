"""docx through python-docx: properties, headers and footers, paragraphs, tables."""

from __future__ import annotations

import io
from collections.abc import Iterator

from govinspect.formats import FORMATS
from inspectors.sensitive.formats.common import Deadline, Limits, UnreadableFile, open_zip, table_chunk
from inspectors.sensitive.text import Chunk

FORMAT = FORMATS["docx"]


def read(body: bytes, limits: Limits, deadline: Deadline, **_options) -> Iterator[Chunk]:
    open_zip(body, limits)
    import docx

    try:
        document = docx.Document(io.BytesIO(body))
    except Exception as exc:  # python-docx raises KeyError/ValueError/PackageNotFoundError
        raise UnreadableFile(f"python-docx cannot open: {exc}") from None
    props = document.core_properties
    meta = " ".join(filter(None, (props.title, props.subject, props.keywords, props.comments, props.category)))
    if meta:
        yield Chunk("文档属性", meta)
    for section in document.sections:
        header = "\n".join(p.text for p in section.header.paragraphs if p.text)
        footer = "\n".join(p.text for p in section.footer.paragraphs if p.text)
        if header or footer:
            yield Chunk("页眉页脚", header + "\n" + footer)
    marks, labels, parts, pos = [], [], [], 0
    for n, para in enumerate(document.paragraphs, 1):
        if para.text:
            marks.append(pos)
            labels.append(f"第{n}段")
            parts.append(para.text + "\n")
            pos += len(para.text) + 1
    yield Chunk("正文", "".join(parts), marks, labels)
    for t, table in enumerate(document.tables, 1):
        deadline.check()
        rows = ((r, [(str(c), cell.text) for c, cell in enumerate(row.cells, 1)])
                for r, row in enumerate(table.rows, 1))
        yield table_chunk(f"表{t}", rows, deadline, 2_000_000, "第{row}行第{col}列")


