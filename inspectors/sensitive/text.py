"""Text units the detectors scan, and the visible text of an HTML page as lines.

A :class:`Chunk` is a block of text with a location label (sheet, PDF page, table) and, for tabular
sources, a way to name the row/column of an offset. Detectors run one regex pass per chunk, so big
sheets are one chunk rather than a Python call per cell.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable
from dataclasses import dataclass, field

from lxml import etree
from lxml.html import HtmlElement

# Tags whose content is not visible text, and tags that start a new line.
_INVISIBLE = frozenset({"script", "style", "noscript", "template", "head", "title", "meta", "link"})
_BLOCK = frozenset(
    "p div br tr li ul ol dl dt dd h1 h2 h3 h4 h5 h6 table tbody thead tfoot section article header footer "
    "nav aside form fieldset pre blockquote address hr option select center".split()
)
_CELL = frozenset({"td", "th"})


@dataclass
class Chunk:
    """Text plus a location label; ``marks``/``labels`` name positions inside it (rows, cells)."""

    where: str
    text: str
    marks: list[int] = field(default_factory=list)
    labels: list = field(default_factory=list)
    resolver: Callable[[int], str] | None = None
    #: with ``label_fmt``, ``labels`` hold (column, row) pairs formatted only when a hit is located:
    #: formatting every cell label of a large sheet up front costs more than scanning it
    label_fmt: str | None = None
    #: ``marks`` start parts read apart and joined to be scanned at once (PDF pages, ``PART_SEP``
    #: between them): hits are added, and the ID context judged, part by part, as for a chunk each
    parts: bool = False

    def locate(self, offset: int) -> str:
        if self.resolver is not None:
            return self.resolver(offset)
        if self.marks:
            i = bisect.bisect_right(self.marks, offset) - 1
            if i >= 0:
                label = self.labels[i]
                if self.label_fmt is not None:
                    col, row = label
                    col = column_letter(col) if isinstance(col, int) else col
                    label = self.label_fmt.format(sheet="", col=col, row=row)
                return f"{self.where}{label}"
        return self.where


def column_letter(index: int) -> str:
    """Spreadsheet column name of a 0-based index: 0 → A, 27 → AB."""
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def _stylesheet() -> etree.XSLT:
    """:func:`html_lines`'s walk as XSLT: the same text, built in libxslt instead of a Python step per
    element (a page's visible lines in ~40 % of the time). Only the element itself is walked (``*[1]``:
    the document's root element, or the one element of the document lxml makes for a subtree), never
    what a recovering parser left beside it."""
    def names(tags: frozenset[str]) -> str:
        return "|".join(sorted(tags))
    return etree.XSLT(etree.XML(f"""<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
<xsl:output method="text" encoding="UTF-8"/>
<xsl:template match="/"><xsl:apply-templates select="*[1]"/></xsl:template>
<xsl:template match="*"><xsl:apply-templates/></xsl:template>
<xsl:template match="{names(_BLOCK)}"><xsl:text>&#10;</xsl:text><xsl:apply-templates/><xsl:text>&#10;</xsl:text>
</xsl:template>
<xsl:template match="{names(_CELL)}"><xsl:text>&#9;</xsl:text><xsl:apply-templates/></xsl:template>
<xsl:template match="{names(_INVISIBLE)}"/>
</xsl:stylesheet>"""))


_LINES = _stylesheet()


def html_lines(tree: HtmlElement) -> str:
    """Visible text of a page with one line per block element and tabs between table cells."""
    try:
        text = bytes(_LINES(tree)).decode("utf-8")
    except (etree.XSLTApplyError, ValueError, TypeError):  # libxslt's depth limit: the walk in Python
        text = _walked_text(tree)
    return "\n".join(" ".join(line.split()) for line in text.split("\n") if line.strip())


def _walked_text(tree: HtmlElement) -> str:
    parts: list[str] = []
    walker = etree.iterwalk(tree, events=("start", "end", "comment", "pi"))
    for event, el in walker:
        tag = el.tag.lower() if isinstance(el.tag, str) else ""
        if event in ("comment", "pi"):
            if el.tail:
                parts.append(el.tail)
        elif event == "start":
            if not tag or tag in _INVISIBLE:
                walker.skip_subtree()
                continue
            if tag in _BLOCK:
                parts.append("\n")
            elif tag in _CELL:
                parts.append("\t")
            if el.text:
                parts.append(el.text)
        else:
            if tag in _BLOCK:
                parts.append("\n")
            if el.tail and el is not tree:
                parts.append(el.tail)
    return "".join(parts)


def page_text(page) -> str:
    """The page's visible text as lines, computed once per page and shared by inspectors."""
    cached = page.__dict__.get("_visible_lines")
    if cached is None:
        cached = html_lines(page.tree)
        page.__dict__["_visible_lines"] = cached
    return cached
