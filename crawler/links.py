"""Link collection: every link kind ``rules.md`` names, from a parsed page (the collector side).

The checker side lives in the spider: pages in scope are crawled, everything else is checked once per
run with HEAD (GET fallback). Keeping extraction pure makes it testable without a crawl.
"""

from __future__ import annotations

import re
from functools import lru_cache
from urllib.parse import urljoin, urlsplit

from lxml import etree
from lxml.html import HtmlElement

from govinspect.formats import url_format
from govinspect.urls import extension, url_problem
from govinspect.vocabulary import ATTACHMENT, PAGE, RESOURCE, Link

# The kind of a link whose URL cannot be requested at all (``http://a:b:c/``): the spider reports it
# as a broken link (error ``malformed-url``) and keeps it away from the inspectors and the scheduler.
MALFORMED = "malformed"
MALFORMED_URL = "malformed-url"
MAX_MALFORMED_URL = 2000  # characters of a malformed URL kept as its target
# The kind of a link to the visitor's own disk (``file:///C:/Users/…/通知.doc``, ``file://server/share``,
# a pasted Windows path ``C:\Users\…``): it opens nothing for anyone else, so it is a broken link
# (error ``unsupported-scheme``), reported like a malformed one and never requested.
LOCAL_FILE = "local-file"
UNSUPPORTED_SCHEME = "unsupported-scheme"
_ABSOLUTE_HTTP = re.compile(r"(?i)https?://")

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
    """Whether a link is a page to crawl, a resource or an attachment to check (or scan).

    Attachments are named by the shared format table (``govinspect.formats``), from the path's
    extension or a CMS download endpoint's ``filename=`` argument (``downfile.jsp?filename=1.xls``).
    """
    if url_format(url) is not None:
        return ATTACHMENT
    ext = extension(url)
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


# A bare host name as an option value (``www.xx.example-city.gov.cn``): browsers would need a scheme,
# but site-group scripts add one (window.open('http://' + this.value)); the last label must be a TLD
# so that ``index.html`` or ``1.5`` are not taken for hosts.
_BARE_HOST = re.compile(
    r"^(?:[a-z0-9\u4e00-\u9fff-]+\.)+(?:cn|com|net|org|gov|edu|info|cc|top|xyz|中国|政务|公司|网络)(?::\d+)?(?:/\S*)?$",
    re.IGNORECASE,
)


def _option_url(value: str) -> str | None:
    """The URL an ``<option value>`` of a site-group dropdown holds, or None (often just an id).

    Every option of every ``select`` counts, whatever the select's script: a second dropdown (counties
    after departments) is as much a link list as the first.
    """
    low = value.lower()
    if low.startswith(("http://", "https://", "//", "/", "./", "../")) or _PAGEISH_SUFFIX.search(value):
        return value
    if _BARE_HOST.match(value):
        return "http://" + value
    return None


def _text(el: HtmlElement) -> str:
    if len(el) == 0:  # no child: its text is el.text (what text_content() would build, without XPath)
        text = el.text or ""
    else:
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


# What a link value resolves to: (absolute URL, kind, format name), or None when it is no http(s) link.
_Resolved = tuple[str, str, str] | None


@lru_cache(maxsize=32768)  # navigation, footer and resource links repeat on every page of a site
def _resolve(base: str, value: str, classified: bool, implied: str) -> _Resolved:
    """Resolve and classify one cleaned link value: a pure function of its arguments, hence cached.

    ``classified`` is False for ``<link>`` (its kind is the one the tag implies, whatever the URL).
    """
    if _ABSOLUTE_HTTP.match(value) and url_problem(value.split("#", 1)[0]):
        # ``http://`` alone: urljoin would quietly turn it into the page's own URL
        return value[:MAX_MALFORMED_URL], MALFORMED, ""
    try:
        url = urljoin(base, value)
    except ValueError:  # the href itself cannot be parsed (``http://[::1/``)
        return value[:MAX_MALFORMED_URL], MALFORMED, ""
    url = url.split("#", 1)[0]
    try:
        scheme = urlsplit(url).scheme.lower()
    except ValueError:
        scheme = value.split(":", 1)[0].lower()
    if scheme == "file" or (len(scheme) == 1 and scheme.isalpha()):  # file: or a drive letter (C:\…)
        return value[:MAX_MALFORMED_URL], LOCAL_FILE, ""
    if scheme not in ("http", "https"):
        return None
    if url_problem(url):
        return url[:MAX_MALFORMED_URL], MALFORMED, ""
    kind = classify(url, implied) if classified else implied
    fmt = url_format(url) if kind == ATTACHMENT else None
    return url, kind, fmt.name if fmt else ""


def _origin_of(base: str) -> str | None:
    """``scheme://netloc`` of an http(s) base URL: all an absolute-path or absolute reference needs of it
    (RFC 3986 5.2.2; ``urljoin`` reads neither the base's path nor its query then), so such links
    share one cache entry across every page of a site. None when the base is not plain http(s)."""
    try:
        parts = urlsplit(base)
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return f"{parts.scheme}://{parts.netloc}"


# References that need only the base's scheme and authority: an absolute path (``/a/b``), a network
# path with a host (``//host/x``), an absolute http(s) URL (its host checked by ``url_problem`` first).
_ORIGIN_ENOUGH = re.compile(r"/(?!/)|//[^/?#]|(?i:https?)://")


@lru_cache(maxsize=32768)  # the same attribute values on every page of a site
def _cleaned(raw: str) -> tuple[str, bool] | None:
    """The cleaned link value and whether the base's origin is enough to resolve it (None: no link)."""
    value = _clean(raw)
    if value is None:
        return None
    return value, _ORIGIN_ENOUGH.match(value) is not None


# Tags that carry a URL in an attribute: tag → (attribute, implied kind, whether the link has a text).
_TAG_ATTR = {tag: (attr, implied, tag not in ("img", "script", "link")) for tag, attr, implied in _TAG_ATTRS}
# The elements that may carry a link, in document order: XPath in libxml2 instead of a Python step (and
# an element proxy) for every element of the page. A union of name tests (libxml2 returns it in document
# order) costs ~40 % of one test per element with an ``or`` of them all (``self::a or self::area …``).
_CANDIDATES = etree.XPath(
    " | ".join(f"descendant-or-self::{tag}" for tag in (*_TAG_ATTR, "option")) + " | descendant-or-self::*[@onclick]"
)


def extract_links(tree: HtmlElement, page_url: str) -> list[Link]:
    """All links of a page in document order, absolute, fragments dropped, non-links left out."""
    base = base_url(tree, page_url)
    origin = _origin_of(base)
    links: list[Link] = []

    def add(raw: str | None, tag: str, implied: str, el: HtmlElement, text: str | None = None) -> None:
        if raw is None:
            return
        cleaned = _cleaned(raw)
        if cleaned is None:
            return
        value, origin_enough = cleaned
        resolved = _resolve(origin if origin_enough and origin is not None else base, value, tag != "link", implied)
        if resolved is None:
            return
        url, kind, fmt = resolved
        label = text if text is not None else _text(el)
        links.append(Link(url=url, tag=tag, text=label, kind=kind, element=el, format=fmt))

    for el in _CANDIDATES(tree):
        tag = el.tag
        spec = _TAG_ATTR.get(tag)
        if spec is not None:
            attr, implied, has_text = spec
            add(el.get(attr), tag, implied, el, None if has_text else "")
        elif tag == "option":
            value = _option_url((el.get("value") or "").strip())
            if value:
                add(value, "option", PAGE, el)
        onclick = el.get("onclick")
        if onclick:
            for match in _ONCLICK.finditer(onclick):
                add(match.group("url"), "onclick", PAGE, el)
    return links
