"""Link collection: every link kind ``rules.md`` names, from a parsed page (the collector side).

The checker side lives in the spider: pages in scope are crawled, everything else is checked once per
run with HEAD (GET fallback). Keeping extraction pure makes it testable without a crawl.
"""

from __future__ import annotations

import re
from urllib.parse import urljoin, urlsplit

from lxml.html import HtmlElement

from govinspect.urls import extension, url_problem
from govinspect.vocabulary import ATTACHMENT, PAGE, RESOURCE, Link

# The kind of a link whose URL cannot be requested at all (``http://a:b:c/``): the spider reports it
# as a broken link (error ``malformed-url``) and keeps it away from the inspectors and the scheduler.
MALFORMED = "malformed"
MALFORMED_URL = "malformed-url"
MAX_MALFORMED_URL = 2000  # characters of a malformed URL kept as its target

ATTACHMENT_EXTENSIONS = frozenset(
    "pdf doc docx xls xlsx wps et dps csv zip rar 7z ppt pptx ofd txt".split()
)
RESOURCE_EXTENSIONS = frozenset(
    "jpg jpeg png gif bmp webp svg ico css js mp3 mp4 avi wmv flv swf woff woff2 ttf eot".split()
)
_NOT_LINKS = ("javascript:", "mailto:", "tel:", "data:", "about:", "vbscript:", "sms:", "#")
_ONCLICK = re.compile(
    r"""(?:window\.open|(?:window\.|document\.|top\.|self\.|parent\.)?location(?:\.href)?\s*=|"""
    r"""location\.(?:assign|replace))\s*\(?\s*(['"])(?P<url>[^'"]+)\1""",
    re.IGNORECASE,
)
_PAGEISH_SUFFIX = re.compile(r"\.(?:s?html?|jsp|php|aspx?|do|action)(?:[?#]|$)", re.IGNORECASE)
# Tags that carry a URL in an attribute, with the link kind they imply.
_TAG_ATTRS = (
    ("a", "href", PAGE), ("area", "href", PAGE), ("iframe", "src", PAGE), ("frame", "src", PAGE),
    ("img", "src", RESOURCE), ("script", "src", RESOURCE), ("link", "href", RESOURCE),
)


def classify(url: str, implied: str) -> str:
    """Whether a link is a page to crawl, a resource or an attachment to check (or scan)."""
    ext = extension(url)
    if ext in ATTACHMENT_EXTENSIONS:
        return ATTACHMENT
    if ext in RESOURCE_EXTENSIONS:
        return RESOURCE
    return implied


def _clean(raw: str | None) -> str | None:
    if raw is None:
        return None
    value = raw.strip().replace("\n", "").replace("\r", "").replace("\t", "")
    if not value or value.lower().startswith(_NOT_LINKS):
        return None
    return value


def _option_url(value: str) -> bool:
    """``<option value>`` of a site-group dropdown holds a URL only sometimes (often just an id)."""
    low = value.lower()
    return (
        low.startswith(("http://", "https://", "//", "/", "./", "../"))
        or bool(_PAGEISH_SUFFIX.search(value))
    )


def _text(el: HtmlElement) -> str:
    try:
        text = el.text_content()
    except (ValueError, AttributeError):
        text = el.text or ""
    text = " ".join(text.split())
    if not text:
        text = (el.get("title") or el.get("alt") or "").strip()
        if not text:
            img = next(el.iter("img"), None) if el.tag in ("a", "area") else None
            if img is not None:
                text = (img.get("alt") or img.get("title") or "").strip()
    return text[:200]


def base_url(tree: HtmlElement, page_url: str) -> str:
    for base in tree.iter("base"):
        href = _clean(base.get("href"))
        if href:
            return urljoin(page_url, href)
    return page_url


def extract_links(tree: HtmlElement, page_url: str) -> list[Link]:
    """All links of a page in document order, absolute, fragments dropped, non-links left out."""
    base = base_url(tree, page_url)
    links: list[Link] = []

    def add(raw: str | None, tag: str, implied: str, el: HtmlElement, text: str | None = None) -> None:
        value = _clean(raw)
        if value is None:
            return
        label = text if text is not None else _text(el)
        try:
            url = urljoin(base, value)
        except ValueError:  # the href itself cannot be parsed (``http://[::1/``)
            links.append(Link(url=value[:MAX_MALFORMED_URL], tag=tag, text=label, kind=MALFORMED, element=el))
            return
        url = url.split("#", 1)[0]
        try:
            scheme = urlsplit(url).scheme.lower()
        except ValueError:
            scheme = value.split(":", 1)[0].lower()
        if scheme not in ("http", "https"):
            return
        if url_problem(url):
            links.append(Link(url=url[:MAX_MALFORMED_URL], tag=tag, text=label, kind=MALFORMED, element=el))
            return
        kind = implied if tag in ("link",) else classify(url, implied)
        links.append(Link(url=url, tag=tag, text=label, kind=kind, element=el))

    for el in tree.iter():
        tag = el.tag if isinstance(el.tag, str) else ""
        tag = tag.lower()
        for t, attr, implied in _TAG_ATTRS:
            if tag == t:
                add(el.get(attr), tag, implied, el, "" if tag in ("img", "script", "link") else None)
                break
        if tag == "option":
            value = (el.get("value") or "").strip()
            if value and _option_url(value):
                add(value, "option", PAGE, el)
        onclick = el.get("onclick") if tag else None
        if onclick:
            for match in _ONCLICK.finditer(onclick):
                add(match.group("url"), "onclick", PAGE, el)
    return links
