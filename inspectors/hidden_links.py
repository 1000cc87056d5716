"""``ad.hidden-link``: links to outside hosts that a visitor cannot see (暗链).

Visibility comes from inline styles, the page's ``<style>`` rules, the ``hidden`` attribute and
ancestors, or, when the page was rendered, from the browser's boxes (authoritative when present).
CSS is split into rules by a small tokenizer and selectors are matched with ``cssselect`` (the
translator lxml uses, already a Scrapy dependency and well maintained), so any selector it supports
works, not only class and id selectors. Only rules that set a hiding property are evaluated.

Menus and tabs that a visitor opens (``:hover`` rules that reveal them, elements scripts refer to by
id, on* handlers, menu/tab class names) are not hidden links. Neither are official services (the
conac badge in a hidden 适老版 block, the hidden copy of the 找错/jiucuo link, filing services) nor CMS
vendors' credits (``<a href="http://www.hanweb.com" style="display:none">Produced By 大汉网络``): they
are listed in data files (``inspectors/data/hidden-link-allow.txt``, ``HIDDEN_LINK_ALLOW_FILES``).
A rendered image link of zero size whose image failed to load is a broken image, not hiding. The
spam keywords of the link text set the severity: critical with them, medium without.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit

from cssselect import GenericTranslator, SelectorError
from lxml import etree
from lxml.html import HtmlElement

from govinspect.findings import Observation
from inspectors.ads_commercial import is_foreign, link_host
from inspectors.base import Inspector, Page

PROPS = frozenset(
    "display visibility font-size height width max-height max-width overflow line-height position left top "
    "right bottom text-indent margin-left margin-top transform clip clip-path opacity".split()
)
REVEAL_PSEUDO = re.compile(r":(?:hover|focus-within|focus|active|checked|target)\b")
MENU_TOKEN = re.compile(
    r"(?:^|[-_\s])(?:menu|submenu|nav|subnav|dropdown|drop|tab|tabs|tab-pane|xiala|xl|sub|panel|more|"
    r"popup|modal|dialog|slide|hd|bd|con)(?:$|[-_\s\d])", re.IGNORECASE)
SPAM_WORDS = re.compile(
    r"博彩|菠菜|百家乐|时时彩|六合彩|彩票|真人娱乐|娱乐城|棋牌|赌场|威尼斯人|皇冠|体育投注|bet365|成人|约炮|"
    r"私服|代开发票|发票|办证|贷款|网赚|赌|澳门|葡京|太阳城|银河", re.IGNORECASE)
_LENGTH = re.compile(r"^(-?\d*\.?\d+)(px|pt|em|rem|%|vw|vh)?$")
_TRANSLATE = re.compile(r"translate(?:x|y|3d)?\(\s*(-?\d*\.?\d+)(px|%|em)?", re.IGNORECASE)
_COMMENT = re.compile(r"/\*.*?\*/", re.S)
_TRANSLATOR = GenericTranslator()
_UNITS = {"px": 1.0, "pt": 4 / 3, "em": 16.0, "rem": 16.0}
DEFAULT_ALLOW_FILE = Path(__file__).parent / "data" / "hidden-link-allow.txt"


class AllowList:
    """Hosts and host/path prefixes of links that may be hidden (official services, vendor credits)."""

    def __init__(self, entries: Iterable[str]):
        self.hosts: set[str] = set()
        self.prefixes: list[tuple[str, str]] = []  # (host or "*", path prefix)
        for raw in entries:
            entry = raw.split("#", 1)[0].strip().lower()
            if not entry:
                continue
            entry = entry.split("://", 1)[-1]
            host, slash, path = entry.partition("/")
            if slash:
                self.prefixes.append((host, "/" + path))
            else:
                self.hosts.add(host)

    @classmethod
    def from_files(cls, paths: Iterable[str | Path]) -> AllowList:
        lines: list[str] = []
        for path in paths:
            lines += Path(path).read_text(encoding="utf-8").splitlines()
        return cls(lines)

    def allows(self, url: str) -> bool:
        try:
            parts = urlsplit(url)
            host = (parts.hostname or "").lower()
        except ValueError:
            return False
        labels = host.split(".")
        if any(".".join(labels[i:]) in self.hosts for i in range(len(labels) - 1)):
            return True
        path = parts.path.lower()
        for want_host, prefix in self.prefixes:
            host_ok = want_host == "*" or host == want_host or host.endswith("." + want_host)
            if host_ok and path.startswith(prefix):
                return True
        return False


def parse_declarations(text: str) -> dict[str, str]:
    """``prop: value; …`` → relevant properties only, lower-cased, ``!important`` dropped."""
    out: dict[str, str] = {}
    for part in text.split(";"):
        name, sep, value = part.partition(":")
        if not sep:
            continue
        name = name.strip().lower()
        if name in PROPS:
            out[name] = value.replace("!important", "").strip().lower()
    return out


def parse_rules(css: str) -> list[tuple[str, dict[str, str]]]:
    """(selector list, relevant declarations) of a stylesheet; @media/@supports blocks are flattened."""
    css = _COMMENT.sub("", css)
    rules: list[tuple[str, dict[str, str]]] = []
    pos, start = 0, 0
    while pos < len(css):
        ch = css[pos]
        if ch == "{":
            prelude = css[start:pos].strip()
            lowered = prelude.lower()
            # Only unconditional screen rules: print sheets and responsive (width) queries hide things
            # that a desktop visitor sees.
            screen = not lowered.startswith("@media") or ("(" not in lowered and "print" not in lowered)
            if lowered.split()[0] in ("@media", "@supports", "@document") and screen:
                start = pos + 1  # a group: its rules are read as top-level rules
            elif prelude.startswith("@"):
                # @font-face, @keyframes, @media print…: skip the whole block.
                level, pos = 1, pos + 1
                while pos < len(css) and level:
                    level += {"{": 1, "}": -1}.get(css[pos], 0)
                    pos += 1
                start = pos
                continue
            else:
                end = css.find("}", pos)
                end = len(css) if end < 0 else end
                decls = parse_declarations(css[pos + 1:end])
                if decls:
                    rules.append((prelude, decls))
                pos, start = end + 1, end + 1
                continue
        elif ch == "}":
            start = pos + 1
        elif ch == ";":
            start = pos + 1  # @import/@charset statements
        pos += 1
    return rules


@lru_cache(maxsize=4096)
def _xpath(selector: str) -> etree.XPath | None:
    try:
        return etree.XPath(_TRANSLATOR.css_to_xpath(selector))
    except (SelectorError, etree.XPathSyntaxError, ValueError, TypeError):
        return None


def length_px(value: str) -> float | None:
    m = _LENGTH.match(value.strip())
    if not m:
        return None
    number, unit = float(m.group(1)), (m.group(2) or "px")
    factor = _UNITS.get(unit)
    if factor is None:  # %, vw, vh: unknown without layout, except zero
        return 0.0 if number == 0 else None
    return number * factor


def hiding_reason(style: dict[str, str], tiny: float, offscreen: float) -> str | None:
    """Why an element with these declarations is invisible, or None."""
    if not style:
        return None
    if style.get("display") == "none":
        return "display:none"
    if style.get("visibility") in ("hidden", "collapse"):
        return "visibility:hidden"
    size = length_px(style.get("font-size", ""))
    if size is not None and size < 1:
        return "font-size:0"
    if style.get("opacity", "").strip() in ("0", "0.0", "0%"):
        return "opacity:0"
    clipped = style.get("overflow", "") in ("hidden", "clip")
    for prop in ("height", "width", "max-height", "max-width", "line-height"):
        v = length_px(style.get(prop, ""))
        if v is not None and v <= tiny and (clipped or prop == "line-height" and size == 0):
            return f"{prop}:{style[prop]};overflow:hidden"
    if style.get("position") in ("absolute", "fixed", "relative"):
        for prop in ("left", "top", "right", "bottom"):
            v = length_px(style.get(prop, ""))
            if v is not None and v <= -offscreen:
                return f"position:{style['position']};{prop}:{style[prop]}"
    for prop in ("text-indent", "margin-left", "margin-top"):
        v = length_px(style.get(prop, ""))
        if v is not None and v <= -offscreen:
            return f"{prop}:{style[prop]}"
    for m in _TRANSLATE.finditer(style.get("transform", "")):
        if abs(float(m.group(1))) > offscreen and (m.group(2) or "px") == "px":
            return f"transform:{style['transform']}"
    clip = style.get("clip", "").replace(" ", "").replace("px", "")
    if clip.startswith("rect(0,0,0,0") or clip.startswith("rect(0000"):
        return "clip:rect(0,0,0,0)"
    if style.get("clip-path", "").replace(" ", "") in ("circle(0)", "inset(50%)", "circle(0px)"):
        return f"clip-path:{style['clip-path']}"
    return None


class StyleIndex:
    """Relevant declarations per element from the page's ``<style>`` rules, plus revealed elements."""

    def __init__(self, tree: HtmlElement):
        self.styles: dict[HtmlElement, dict[str, str]] = {}
        self.revealed: set[HtmlElement] = set()
        css = "\n".join(s.text or "" for s in tree.iter("style"))
        if not css.strip():
            return
        for selectors, decls in parse_rules(css):
            for selector in selectors.split(","):
                selector = selector.strip()
                if not selector:
                    continue
                reveal = REVEAL_PSEUDO.search(selector)
                if reveal:
                    if decls.get("display", "none") != "none" or decls.get("visibility") == "visible":
                        self._match(tree, REVEAL_PSEUDO.sub("", selector), None)
                    continue
                if "::" in selector or ":before" in selector or ":after" in selector:
                    continue
                self._match(tree, selector, decls)

    def _match(self, tree: HtmlElement, selector: str, decls: dict[str, str] | None) -> None:
        xpath = _xpath(selector)
        if xpath is None:
            return
        try:
            elements = xpath(tree)
        except etree.XPathEvalError:
            return
        for el in elements:
            if decls is None:
                self.revealed.add(el)
            else:
                self.styles.setdefault(el, {}).update(decls)

    def style(self, el: HtmlElement) -> dict[str, str]:
        merged = dict(self.styles.get(el, ()))
        inline = el.get("style")
        if inline:
            merged.update(parse_declarations(inline))
        return merged


class HiddenLinkInspector(Inspector):
    enabled_setting = "INSPECT_HIDDEN_LINKS_ENABLED"

    def __init__(self, crawler):
        super().__init__(crawler)
        self.tiny = self.settings.getfloat("HIDDEN_LINK_TINY_PX")
        self.offscreen = self.settings.getfloat("HIDDEN_LINK_OFFSCREEN_PX")
        files = [DEFAULT_ALLOW_FILE] if self.settings.getbool("HIDDEN_LINK_DEFAULT_ALLOW") else []
        self.allow = AllowList.from_files(files + self.settings.getlist("HIDDEN_LINK_ALLOW_FILES"))

    def inspect_page(self, page: Page) -> Iterator[Observation]:
        candidates = [link for link in page.links
                      if link.tag in ("a", "area") and link.element is not None
                      and is_foreign(link_host(link.url), page) and not self.allow.allows(link.url)]
        if not candidates:
            return
        index = StyleIndex(page.tree)
        scripts: str | None = None
        seen: set[str] = set()
        for link in candidates:
            if link.url in seen:
                continue
            found = self._rendered(page, link.element)
            if found is None:
                found = self._static(index, link.element)
                if found is not None and found[0] in ("display:none", "visibility:hidden", "hidden"):
                    if scripts is None:
                        scripts = _script_text(page.tree)
                    if _interactive(found[1], index, scripts):
                        found = None
            elif found is False:
                found = None
            if not found:
                continue
            seen.add(link.url)
            reason, container = found
            words = sorted(set(SPAM_WORDS.findall(f"{link.text} {link.url}")))
            yield Observation(
                rule="ad.hidden-link", site_id=page.site.id, page_url=page.url, target_url=link.url,
                message=f"网页中有访客看不见的外部链接（暗链，{reason}），疑似被篡改，请立即删除并排查网站安全：{link.url}",
                evidence={"technique": reason, "link_text": link.text[:80], "container": _describe(container),
                          "spam_keywords": words},
                # spam words make it a tampering alarm; a hidden link without them may be template leftovers
                severity="critical" if words else "medium",
            )

    def _static(self, index: StyleIndex, el: HtmlElement) -> tuple[str, HtmlElement] | None:
        node = el
        while node is not None and isinstance(node.tag, str):
            if node.get("hidden") is not None:
                return "hidden", node
            if node.tag == "marquee" and self._tiny_marquee(node, index):
                return "marquee 1px", node
            reason = hiding_reason(index.style(node), self.tiny, self.offscreen)
            if reason:
                return reason, node
            node = node.getparent()
        return None

    def _tiny_marquee(self, node: HtmlElement, index: StyleIndex) -> bool:
        style = index.style(node)
        for attr in ("height", "width"):
            v = length_px((node.get(attr) or style.get(attr) or "").strip())
            if v is not None and v <= self.tiny:
                return True
        amount = node.get("scrollamount") or ""
        return amount.isdigit() and int(amount) >= 1000

    def _rendered(self, page: Page, el: HtmlElement):
        """Browser geometry when the page was rendered: (reason, el), False for visible, None unknown.

        Boxes are keyed by the ``data-gi-id`` the renderer stamps on every ``a``/``area`` (see
        ``crawler/rendering.py``); the browser's own hiding reason is used when it gives one.
        """
        boxes = page.rendered.boxes if page.rendered is not None else None
        if not boxes:
            return None
        for key in (el.get("data-gi-id"), el.get("id")):
            box = boxes.get(key) if key else None
            if box is None:
                continue
            reason = getattr(box, "hidden_reason", None)
            if not box.visible and not (reason == "zero-size" and _failed_image_link(el, boxes)):
                return f"rendered:{reason or 'invisible'}", el
            if box.width <= self.tiny or box.height <= self.tiny:
                if _failed_image_link(el, boxes):
                    return False  # its image did not load: a broken image, not a link hidden on purpose
                return f"rendered:{box.width:.0f}x{box.height:.0f}px", el
            if box.x + box.width <= 0 or box.y + box.height <= 0:
                return "rendered:off-screen", el
            return False
        return None


def _failed_image_link(el: HtmlElement, boxes: dict) -> bool:
    """An image-only link whose images the browser could not decode (natural size 0)."""
    if " ".join(el.itertext()).strip():
        return False
    imgs = list(el.iter("img"))
    if not imgs:
        return False
    for img in imgs:
        box = boxes.get(img.get("data-gi-id") or "")
        if box is None or box.natural_width or box.natural_height:
            return False
        if (img.get("style") or "").replace(" ", "").lower().find("display:none") >= 0:
            return False
    return True


def _interactive(node: HtmlElement, index: StyleIndex, scripts: str) -> bool:
    """A hidden element a visitor can open: revealed on hover, toggled by a script or a handler."""
    if node in index.revealed:
        return True
    ident = node.get("id")
    if ident and ident in scripts:
        return True
    for el in (node, node.getparent(), node.getprevious()):
        if el is None or not isinstance(el.tag, str):
            continue
        if any(k.startswith("on") for k in el.attrib):
            return True
        if MENU_TOKEN.search(f"{el.get('class') or ''} {el.get('id') or ''}"):
            return True
    return False


def _script_text(tree: HtmlElement) -> str:
    parts = [s.text or "" for s in tree.iter("script")]
    parts += [v for el in tree.iter() if isinstance(el.tag, str) for k, v in el.attrib.items() if k.startswith("on")]
    return "\n".join(parts)


def _describe(el: HtmlElement) -> str:
    desc = el.tag
    if el.get("id"):
        desc += f"#{el.get('id')}"
    if el.get("class"):
        desc += "." + ".".join(el.get("class").split())
    return desc[:80]
