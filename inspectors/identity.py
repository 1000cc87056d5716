"""``identity.*`` (except the emblem): the footer marks and the site name a homepage must show.

Judged on the homepage alone, from what a visitor sees: the visible text (no ``<head>``, meta tags,
scripts, comments or elements hidden inline) and, for the conac badge, an image link to the conac
service. Text is NFKC-normalised first, so full-width numbers (``皖ＩＣＰ备１２３４５６７８号``) match.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import urlsplit

import lxml.html
from lxml import etree
from lxml.html import HtmlElement

from govinspect.findings import Observation
from inspectors.base import Inspector, Page
from inspectors.dates import nfkc

_PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
ICP_RE = re.compile(
    # the closing 号 is often left out (蒙ICP备 05006530): still an ICP number
    rf"(?P<prov>[{_PROVINCES}])\s*ICP\s*备\s*(?P<num>\d{{6,10}})(?!\d)\s*号?(?:\s*-\s*(?P<site>\d{{1,3}}))?",
    re.IGNORECASE
)
PSB_RE = re.compile(
    rf"(?:(?P<prov>[{_PROVINCES}])\s*公网安备|公安机关备案号|公安备案号)\s*[:：]?\s*(?P<code>\d{{14}})(?!\d)"
)
SITE_CODE_RE = re.compile(r"网站标识码\s*[:：]?\s*(?P<code>\d{10}|bm\d{8})(?![0-9a-z])", re.IGNORECASE)
CONAC_HOSTS = ("bszs.conac.cn", "dcs.conac.cn")
_CONAC_SCRIPT = re.compile(r"dcs\.conac\.cn/js/", re.IGNORECASE)

_INVISIBLE_TAGS = frozenset({"head", "script", "style", "noscript", "template", "title", "meta", "link"})
_BLOCK_TAGS = frozenset({
    "p", "div", "li", "ul", "ol", "td", "th", "tr", "table", "br", "dd", "dt", "dl", "h1", "h2", "h3", "h4", "h5",
    "h6", "section", "article", "header", "footer", "nav", "form", "select", "option", "span", "a",
})
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)
_HEADER_TOKEN = re.compile(
    r"(?:^|[\s_-])(?:header|head|top|logo|banner|masthead|site-?name|sitename)(?:$|[\s_-])", re.IGNORECASE
)


def is_hidden(el: HtmlElement) -> bool:
    """Hidden by its own markup (``hidden`` attribute, inline ``display:none``/``visibility:hidden``)."""
    return el.get("hidden") is not None or bool(_HIDDEN_STYLE.search(el.get("style") or ""))


def visible_text(root: HtmlElement) -> str:
    """Text a visitor can see: no head, scripts, styles, comments or inline-hidden elements; plus img alt.

    Inline elements join without a gap (``皖ICP备<b>12345678</b>号`` reads as one number); block
    elements are separated by a space.
    """
    body = root.find(".//body") if root.tag != "body" else None
    start = body if body is not None else root
    parts: list[str] = []
    hidden_depth = 0
    for event, el in etree.iterwalk(start, events=("start", "end")):
        tag = el.tag.lower() if isinstance(el.tag, str) else ""
        if event == "start":
            if hidden_depth or not tag or tag in _INVISIBLE_TAGS or is_hidden(el):
                hidden_depth += 1
                continue
            if tag in _BLOCK_TAGS:
                parts.append(" ")
            parts.append(el.text or "")
            if tag == "img" and el.get("alt"):
                parts.append(" " + el.get("alt") + " ")
            continue
        if hidden_depth:
            hidden_depth -= 1
        elif tag in _BLOCK_TAGS:
            parts.append(" ")
        if el is not start and not hidden_depth:
            parts.append(el.tail or "")
    return nfkc("".join(parts))


def _hidden_with_ancestors(el: HtmlElement) -> bool:
    node: HtmlElement | None = el
    while node is not None:
        if isinstance(node.tag, str) and (node.tag.lower() in _INVISIBLE_TAGS or is_hidden(node)):
            return True
        node = node.getparent()
    return False


def _host(url: str) -> str:
    try:
        return (urlsplit(url if "//" in url else "//" + url).hostname or "").lower()
    except ValueError:
        return ""


def companion_trees(page: Page) -> list[HtmlElement]:
    """Parsed companions of the page (same-site iframe documents, document.write output)."""
    trees = []
    for html in page.companions.values():
        if html and html.strip():
            try:
                trees.append(lxml.html.fromstring(html))
            except (etree.ParserError, ValueError):
                continue
    return trees


def conac_badge(page: Page, companions: list[HtmlElement] | None = None) -> bool:
    """An image link to the conac verification service that is not hidden (in the page or a companion).

    Unrendered pages may carry only the standard embed script (``dcs.conac.cn/js/...``), which writes
    the badge when a browser runs it: that counts, since the static HTML cannot show more.
    """
    boxes = page.rendered.boxes if page.rendered else {}
    for tree in companions or ():
        if any(_badge_link(a, {}) for a in tree.iter("a", "area")):
            return True
    for a in page.tree.iter("a", "area"):
        if _badge_link(a, boxes):
            return True
    if page.rendered is None:
        for script in page.tree.iter("script"):
            if _CONAC_SCRIPT.search(script.get("src") or "") or _CONAC_SCRIPT.search(
                (script.text or "").replace("%2F", "/").replace("%2f", "/")
            ):
                return True
    return False


def _badge_link(a: HtmlElement, boxes: dict) -> bool:
    href_host = _host(a.get("href") or "")
    imgs = list(a.iter("img"))
    if not imgs:
        return False
    on_conac = href_host in CONAC_HOSTS or any(_host(i.get("src") or "") in CONAC_HOSTS for i in imgs)
    if not on_conac or _hidden_with_ancestors(a):
        return False
    box = boxes.get(a.get("data-gi-id") or "") or boxes.get(imgs[0].get("data-gi-id") or "")
    return box is None or box.visible


def header_text(root: HtmlElement) -> str:
    """Text of the header area: ``<header>``, elements whose id/class says header/top/logo/banner, the first h1."""
    texts: list[str] = []
    taken: set[HtmlElement] = set()
    for el in root.iter():
        if not isinstance(el.tag, str) or el.tag.lower() in _INVISIBLE_TAGS:
            continue
        marker = f"{el.get('id') or ''} {el.get('class') or ''}"
        if (el.tag.lower() == "header" or _HEADER_TOKEN.search(marker)) and not any(
            a in taken for a in el.iterancestors()
        ):
            taken.add(el)
            texts.append(visible_text(el))
    h1 = root.find(".//h1")
    if h1 is not None:
        texts.append(visible_text(h1))
    return " ".join(texts)


def _squeeze(text: str) -> str:
    return re.sub(r"\s+", "", nfkc(text))


class IdentityInspector(Inspector):
    """ICP, public-security filing, conac badge, 网站标识码 and the site name on the homepage."""

    enabled_setting = "INSPECT_IDENTITY_ENABLED"

    def __init__(self, crawler):
        super().__init__(crawler)
        self.icp_province = (self.settings.get("IDENTITY_ICP_PROVINCE") or "").strip()

    def inspect_page(self, page: Page) -> Iterator[Observation]:
        if not page.is_homepage:
            return
        companions = companion_trees(page)  # footers in same-site iframes or document.write scripts
        text = " ".join([visible_text(page.tree), *(visible_text(t) for t in companions)])
        yield from self._icp(page, text)
        if not PSB_RE.search(text):
            yield self._obs(page, "identity.psb-missing",
                            "首页未显示公安机关备案号，请在网站底部标明公安备案号（如“皖公网安备 34160202000123号”）。")
        if not conac_badge(page, companions):
            yield self._obs(page, "identity.conac-missing",
                            "首页未显示党政机关网站标识，请在网站底部放置链接到党政机关网站标识验证服务（bszs.conac.cn）的标识图片。")
        yield from self._site_code(page, text)
        yield from self._name(page)

    def _obs(self, page: Page, rule: str, message: str, **evidence) -> Observation:
        return Observation(rule=rule, site_id=page.site.id, page_url=page.url, message=message,
                           evidence={"url": page.url, **evidence})

    def _icp(self, page: Page, text: str) -> Iterator[Observation]:
        numbers = [m.group(0) for m in ICP_RE.finditer(text)]
        if self.icp_province:
            good = [n for n in numbers if n.startswith(self.icp_province)]
            if numbers and not good:
                yield self._obs(page, "identity.icp-missing",
                                f"首页显示的ICP备案号不属于{self.icp_province}，请核实并标明本网站的ICP备案号。",
                                shown=numbers, expected_province=self.icp_province)
                return
        if not numbers:
            yield self._obs(page, "identity.icp-missing",
                            "首页未显示ICP备案编号，请在网站底部标明ICP备案号（如“皖ICP备12345678号”）。")

    def _site_code(self, page: Page, text: str) -> Iterator[Observation]:
        codes = list(dict.fromkeys(m.group("code").lower() for m in SITE_CODE_RE.finditer(text)))
        if not codes:
            yield self._obs(page, "identity.site-code-missing",
                            f"首页未显示政府网站标识码，请在网站底部标明网站标识码“{page.site.id}”。",
                            expected=page.site.id)
        elif page.site.registered and page.site.id.lower() not in codes:
            yield self._obs(page, "identity.site-code-missing",
                            f"首页显示的网站标识码“{codes[0]}”与登记的“{page.site.id}”不一致，请更正。",
                            shown=codes, expected=page.site.id)

    def _name(self, page: Page) -> Iterator[Observation]:
        if not page.site.registered:
            return
        name = _squeeze(page.site.name)
        title = page.tree.findtext(".//title") or ""
        if name in _squeeze(title) or name in _squeeze(header_text(page.tree)):
            return
        yield self._obs(page, "identity.name-mismatch",
                        f"首页标题和页头均未包含登记的网站名称“{page.site.name}”，请使用规范的网站名称。",
                        expected=page.site.name, title=title.strip()[:200])
