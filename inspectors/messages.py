"""Reading the public messages (留言/咨询/信箱) that government CMSs publish.

Three shapes are read, with the labels and status words of ``inspectors/data/interaction.toml``:

* message tables: a header row naming columns (标题 | 留言时间 | 回复时间 | 状态 ...), one row per message;
* item lists: ``li``/``dd``/``div`` items with a link and labelled parts (``留言时间：2026-05-01``,
  ``状态：未回复``) or a bare date and a status word;
* message pages: one message with labelled fields (``留言时间：``, ``答复部门：``, ``答复内容：``), as text
  or as label/value table cells.

Each message says which of its fields the page shows, so a site's messages can be judged over their
list rows and their own pages together (``inspectors/interaction.py``).
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit

from lxml.html import HtmlElement

from govinspect.urls import host_key
from inspectors.dates import date_in_text, nfkc

FIELDS = ("title", "submitted", "replied", "status", "department", "content")
DEFAULT_WORDS = Path(__file__).resolve().parent / "data" / "interaction.toml"
_SPACE = re.compile(r"\s+")
_ITEM_TAGS = ("li", "dd", "tr")


@dataclass
class Words:
    """Labels by field, status words, and the texts that mean "no reply yet"."""

    labels: dict[str, list[str]]
    answered: list[str]
    unanswered: list[str]
    empty_replies: set[str]
    context: tuple[str, ...] = ()
    label_of: dict[str, str] = field(default_factory=dict)  # label text -> field
    label_re: re.Pattern = field(default=re.compile("(?!)"))
    status_re: re.Pattern = field(default=re.compile("(?!)"))
    hints: re.Pattern = field(default=re.compile("(?!)"))

    def __post_init__(self) -> None:
        for name, labels in self.labels.items():
            for label in labels:
                self.label_of.setdefault(_squeeze(label), name)
        ordered = sorted(self.label_of, key=len, reverse=True)  # 回复时间 before 回复
        self.label_re = re.compile(r"(?P<label>" + "|".join(map(re.escape, ordered)) + r")\s*[:：]\s*")
        statuses = sorted(self.answered + self.unanswered, key=len, reverse=True)
        self.status_re = re.compile("|".join(map(re.escape, statuses)))
        # one regex pass is ~10x faster than a substring test per word on CJK text
        hints = dict.fromkeys([*self.labels.get("submitted", []), *statuses])
        self.hints = re.compile("|".join(map(re.escape, hints)))

    def status_of(self, text: str) -> str | None:
        m = self.status_re.search(_squeeze(text))
        if not m:
            return None
        return "unanswered" if m.group(0) in self.unanswered else "answered"

    def is_empty_reply(self, text: str) -> bool:
        return not text or text in self.empty_replies


def load_words(path: str | Path | None = None) -> Words:
    data = tomllib.loads(Path(path or DEFAULT_WORDS).read_text(encoding="utf-8"))
    return Words(
        labels={k: [nfkc(x) for x in v] for k, v in data["labels"].items()},
        answered=[nfkc(x) for x in data["status"]["answered"]],
        unanswered=[nfkc(x) for x in data["status"]["unanswered"]],
        empty_replies={_squeeze(x) for x in data.get("page", {}).get("empty_replies", [])},
        context=tuple(nfkc(x) for x in data.get("page", {}).get("context", [])),
    )


@dataclass
class Message:
    """One message as one page shows it. ``shown`` lists the fields with a value on that page;
    ``fields`` the fields the page has a place for (a column or a label), empty or not."""

    key: str  # its own page's URL, or list page URL + "#" + title
    title: str
    source: str  # "list" or "page"
    own_page: bool
    submitted: date | None = None
    replied: date | None = None
    status: str | None = None  # "answered" / "unanswered" as the page says, None when it says neither
    shown: set[str] = field(default_factory=set)
    fields: set[str] = field(default_factory=set)
    labels: set[str] = field(default_factory=set)  # the label texts this page used for it

    @property
    def answered(self) -> bool:
        return self.status == "answered" or self.replied is not None or "content" in self.shown

    @property
    def says_unanswered(self) -> bool:
        """The page says there is no reply: a waiting status, an empty reply-date place, or (on the
        message's own page) no reply at all."""
        if self.answered:
            return False
        return self.status == "unanswered" or "replied" in self.fields or self.source == "page"


def _squeeze(text: str) -> str:
    return _SPACE.sub("", nfkc(text or "")).strip(":：")


def _text(el: HtmlElement) -> str:
    return " ".join(nfkc(el.text_content()).split())


def _cells(row: HtmlElement) -> list[HtmlElement]:
    return [c for c in row if isinstance(c.tag, str) and c.tag.lower() in ("td", "th")]


def _rows(table: HtmlElement) -> list[HtmlElement]:
    return [r for r in table.iter("tr") if _owning_table(r) is table]


def _owning_table(el: HtmlElement) -> HtmlElement | None:
    for anc in el.iterancestors("table"):
        return anc
    return None


def _own_link(el: HtmlElement, page_url: str, site_hosts: frozenset[str]) -> tuple[str, str] | None:
    """(absolute URL, text) of the first in-site link of ``el`` that is a page of its own."""
    from urllib.parse import urljoin

    for a in el.iter("a"):
        href = (a.get("href") or "").strip()
        if not href or href.startswith(("#", "javascript:", "mailto:")):
            continue
        url = urljoin(page_url, href)
        if urlsplit(url).scheme in ("http", "https") and host_key(url) in site_hosts:
            return url, (a.get("title") or _text(a)).strip()
    return None


def _set_field(msg: Message, name: str, value: str, as_of: date, words: Words) -> None:
    msg.fields.add(name)
    value = value.strip()
    if name == "title":
        if value and not msg.title:
            msg.title = value
        return
    if name in ("submitted", "replied"):
        found = date_in_text(value, as_of, short=False)
        if found:
            msg.shown.add(name)
            setattr(msg, name, found)
        return
    if name == "status":
        status = words.status_of(value)
        if status:
            msg.shown.add(name)
            msg.status = status
        return
    if not words.is_empty_reply(_squeeze(value)):
        msg.shown.add(name)


def _message_key(page_url: str, title: str, link: tuple[str, str] | None) -> tuple[str, bool]:
    if link is not None:
        return link[0], True
    return f"{page_url.split('#', 1)[0]}#{title}", False


def parse_tables(tree: HtmlElement, page_url: str, hosts: frozenset[str], as_of: date, words: Words,
                 ) -> tuple[list[Message], set[int]]:
    """Messages of tables with a header row of known columns; also the ids of the tables used."""
    out: list[Message] = []
    used: set[int] = set()
    for table in tree.iter("table"):
        rows = _rows(table)
        header_at, columns = None, {}
        for i, row in enumerate(rows[:3]):
            names = {j: words.label_of.get(_squeeze(_text(c))) for j, c in enumerate(_cells(row))}
            names = {j: n for j, n in names.items() if n}
            if len(names) >= 2 and ({"submitted", "status"} & set(names.values())) and len(names) == len(
                    _cells(row)) - sum(1 for c in _cells(row) if not _squeeze(_text(c))):
                header_at, columns = i, names
                break
        if header_at is None:
            continue
        used.add(id(table))
        for row in rows[header_at + 1:]:
            cells = _cells(row)
            if len(cells) < 2:
                continue
            link = _own_link(row, page_url, hosts)
            title = link[1] if link else ""
            msg = Message("", title, "list", link is not None)
            msg.labels = {_squeeze(_text(c)) for c in _cells(rows[header_at])}
            for j, name in columns.items():
                if j < len(cells):
                    _set_field(msg, name, _text(cells[j]), as_of, words)
            if "status" not in columns:
                msg.status = msg.status or words.status_of(_text(row))
            if not msg.title:
                msg.title = _text(cells[0])[:100]
            if not msg.title or not (msg.submitted or msg.status):
                continue
            msg.key, msg.own_page = _message_key(page_url, msg.title, link)
            out.append(msg)
    return out, used


def parse_items(tree: HtmlElement, page_url: str, hosts: frozenset[str], as_of: date, words: Words,
                skip_tables: set[int]) -> list[Message]:
    """Messages of item lists: an item with a link and a submission label or a status word."""
    out: list[Message] = []
    for item in tree.iter(*_ITEM_TAGS):
        if item.tag == "tr" and id(_owning_table(item)) in skip_tables:
            continue
        if item.find(".//li") is not None or item.find(".//table") is not None:
            continue  # a container of items, not an item
        text = _text(item)
        if len(text) > 600:
            continue
        labelled = list(words.label_re.finditer(text))
        status = words.status_of(text)
        if not labelled and not status:
            continue
        link = _own_link(item, page_url, hosts)
        title = link[1] if link else ""
        msg = Message("", title, "list", link is not None)
        msg.labels = {_squeeze(m.group("label")) for m in labelled}
        for n, m in enumerate(labelled):
            end = labelled[n + 1].start() if n + 1 < len(labelled) else len(text)
            _set_field(msg, words.label_of[_squeeze(m.group("label"))], text[m.end():end], as_of, words)
        if not msg.title and labelled:
            msg.title = text[:labelled[0].start()].strip()[:100]  # a row without a link: its leading text
        if msg.status is None and status:
            msg.status = status
            msg.shown.add("status")
        if msg.submitted is None and "submitted" not in msg.fields:
            found = date_in_text(text, as_of, short=False)
            if found:
                msg.submitted = found
                msg.shown.add("submitted")
                msg.fields.add("submitted")
        if not msg.title or msg.submitted is None:
            continue
        msg.key, msg.own_page = _message_key(page_url, msg.title, link)
        out.append(msg)
    return out


def about_messages(msg: Message, context: str, words: Words) -> bool:
    """The page's own context (title, column, breadcrumb, link text) or the labels it used for this
    message name messages: 留言时间 does, 受理时间 alone does not (service-case tables use it)."""
    return any(w in context for w in words.context) or any(w in label for label in msg.labels for w in words.context)


def _fields_in(text: str, words: Words) -> set[str]:
    squeezed = _squeeze(text)
    return {name for label, name in words.label_of.items() if label in squeezed}


def message_container(tree: HtmlElement, words: Words) -> HtmlElement | None:
    """The smallest element holding a message's labelled fields: from the first submission label up,
    as long as going up adds fields (the page footer adds none, so it stays out)."""
    submitted = tuple(_squeeze(x) for x in words.labels.get("submitted", []))
    start = None
    for el in tree.iter():
        if isinstance(el.tag, str) and el.tag.lower() not in ("script", "style", "head", "title", "meta") \
                and _squeeze(el.text or "").startswith(submitted):
            start = el
            break
    if start is None:
        return None
    node, fields = start, _fields_in(start.text_content(), words)
    while node.getparent() is not None and node.tag.lower() != "body":
        parent = node.getparent()
        more = _fields_in(parent.text_content(), words)
        if len(more) <= len(fields) and len(fields) > 1:
            break
        node, fields = parent, more
    return node


def parse_message_page(tree: HtmlElement, text: str, page_url: str, heading: str, as_of: date,
                       words: Words) -> Message | None:
    """The message a page of its own shows: labelled fields in ``text`` (the visible text of its
    :func:`message_container`) or label/value cells."""
    msg = Message(page_url, "", "page", True)
    for row in tree.iter("tr"):
        cells = _cells(row)
        for i in range(len(cells) - 1):
            name = words.label_of.get(_squeeze(_text(cells[i])))
            if name and not words.label_of.get(_squeeze(_text(cells[i + 1]))):
                msg.labels.add(_squeeze(_text(cells[i])))
                _set_field(msg, name, _text(cells[i + 1]), as_of, words)
    labelled = list(words.label_re.finditer(text))
    for n, m in enumerate(labelled):
        name = words.label_of[_squeeze(m.group("label"))]
        msg.labels.add(_squeeze(m.group("label")))
        end = labelled[n + 1].start() if n + 1 < len(labelled) else min(len(text), m.end() + 2000)
        if name not in msg.shown:
            _set_field(msg, name, text[m.end():end][:2000], as_of, words)
    if msg.submitted is None or not ({"replied", "content", "status", "department"} & msg.fields):
        return None  # a message page shows when the message came in
    msg.title = msg.title or heading
    return msg if msg.title else None
