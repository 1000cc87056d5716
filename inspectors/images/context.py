"""What the page says about an image: words around it (alt, title, file name, caption), the size it
is declared or rendered at, and whether the page shows a 审图号.

Declared size comes from ``width``/``height`` attributes, inline ``style`` and simple rules of the
page's own ``<style>`` blocks (``#id``, ``.class``, ``img.class``); the browser's geometry replaces
all of these on rendered pages. A size given on one side only keeps the aspect, so it is ignored.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import asdict, dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

from lxml.html import HtmlElement

from inspectors.base import ElementBox, Page

FLAG_WORDS = re.compile(r"国旗|guoqi|national[-_ ]?flag|(?<![a-z])flag(?![a-z])", re.IGNORECASE)
EMBLEM_WORDS = re.compile(r"国徽|guohui|emblem", re.IGNORECASE)
MAP_WORDS = re.compile(r"地图|ditu|(?<![a-z])maps?(?![a-z])", re.IGNORECASE)
NOT_MAP = re.compile(r"网站地图|站点地图|sitemap|site[-_ ]?map|地图导航", re.IGNORECASE)
_PROV = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
# domain-rules.md §2.6, applied after NFKC (full-width brackets become ASCII).
APPROVAL = re.compile(
    rf"(?:审图号[:：]?\s*)?(?:GS(?:[{_PROV}])?|[{_PROV}]S)\s*[(（]\s*(?:19|20)\d{{2}}\s*[)）]\s*\d{{1,5}}\s*号"
)
_PX = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(?:px)?\s*$", re.IGNORECASE)
_DECL = re.compile(r"(?<![-\w])(width|height)\s*:\s*([^;]+)", re.IGNORECASE)
_RULE = re.compile(r"([^{}]+)\{([^{}]*)\}")


def has_approval(text: str) -> bool:
    return bool(APPROVAL.search(unicodedata.normalize("NFKC", text)))


def _px(value: str | None) -> float | None:
    m = _PX.match(value or "")
    return float(m.group(1)) if m else None


def _decls(style: str) -> dict[str, float]:
    out = {}
    for name, value in _DECL.findall(style or ""):
        px = _px(value.replace("!important", ""))
        if px is not None:
            out[name.lower()] = px
    return out


def style_rules(tree: HtmlElement) -> dict[str, dict[str, float]]:
    """Width/height px of simple selectors in the page's ``<style>`` blocks."""
    rules: dict[str, dict[str, float]] = {}
    for style in tree.iter("style"):
        css = re.sub(r"/\*.*?\*/", "", style.text or "", flags=re.DOTALL)
        for selectors, body in _RULE.findall(css):
            decls = _decls(body)
            if not decls:
                continue
            for sel in selectors.split(","):
                sel = sel.strip().lower()
                if re.fullmatch(r"(?:img)?[.#][\w-]+|img", sel):
                    rules.setdefault(sel.removeprefix("img") or "img", {}).update(decls)
    return rules


def declared_size(el: HtmlElement, rules: dict[str, dict[str, float]]) -> tuple[float, float] | None:
    size: dict[str, float] = dict(rules.get("img", {}))
    for cls in (el.get("class") or "").split():
        size.update(rules.get("." + cls.lower(), {}))
    if el.get("id"):
        size.update(rules.get("#" + el.get("id").lower(), {}))
    for attr in ("width", "height"):
        px = _px(el.get(attr))
        if px is not None:
            size[attr] = px
    size.update(_decls(el.get("style") or ""))
    if "width" in size and "height" in size:
        return size["width"], size["height"]
    return None


def caption(el: HtmlElement) -> str:
    """Figure caption, the enclosing link's title, or the short text of the enclosing block."""
    for anc in el.iterancestors():
        if anc.tag == "figure":
            cap = next(anc.iter("figcaption"), None)
            if cap is not None:
                return " ".join(cap.text_content().split())[:80]
        if anc.tag == "a" and anc.get("title"):
            return anc.get("title")[:80]
        if anc.tag in ("p", "li", "td", "div", "dd", "dt", "span", "a"):
            text = " ".join(anc.text_content().split())
            return text[:80] if len(text) <= 40 else ""
    return ""


@dataclass
class ImageContext:
    """One ``img`` on one page, with everything needed to judge it once its pixels are known."""

    url: str
    site_id: str
    page_url: str
    alt: str
    title: str
    filename: str
    caption: str
    declared: tuple[float, float] | None
    gi_id: str | None
    box: ElementBox | None
    page_shot: str | None
    evidence_dir: str | None
    #: whether the page shows a map approval number (审图号); None when no image of the page looks like
    #: a map (only maps are judged by it)
    approval: bool | None
    homepage: bool

    @property
    def words(self) -> str:
        return " ".join((self.alt, self.title, self.filename, self.caption))

    @property
    def flag_hint(self) -> bool:
        return bool(FLAG_WORDS.search(self.words))

    @property
    def emblem_hint(self) -> bool:
        return bool(EMBLEM_WORDS.search(self.words))

    @property
    def map_hint(self) -> bool:
        w = NOT_MAP.sub(" ", self.words)
        return bool(MAP_WORDS.search(w))

    @property
    def shown(self) -> tuple[float, float] | None:
        """Displayed size: the browser's box when rendered (and the image stretches to fill it)."""
        if self.box is not None and self.box.width > 0 and self.box.height > 0:
            if self.box.object_fit in (None, "", "fill"):
                return self.box.width, self.box.height
            return None
        return self.declared

    @property
    def visible(self) -> bool:
        return self.box is None or self.box.visible

    def to_json(self) -> dict[str, Any]:
        """A JSON value: contexts wait for their image in the run state (Redis in a fleet)."""
        data = dict(self.__dict__)  # one per image and page: cheaper than dataclasses.asdict
        data["box"] = asdict(self.box) if self.box is not None else None
        data["declared"] = list(self.declared) if self.declared else None
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ImageContext:
        declared = data.get("declared")
        box = data.get("box")
        return cls(**{**data, "declared": tuple(declared) if declared else None,
                      "box": ElementBox(**box) if box else None})


def image_contexts(page: Page) -> list[ImageContext]:
    """Every ``img`` of the page with an http(s) source, in document order."""
    rules = style_rules(page.tree)
    render = page.rendered
    out = []
    for link in page.links:
        el = link.element
        if link.tag != "img" or el is None:
            continue
        gi_id = el.get("data-gi-id")
        box = render.boxes.get(gi_id) if render and gi_id else None
        out.append(ImageContext(
            url=link.url, site_id=page.site.id, page_url=page.url,
            alt=(el.get("alt") or "").strip(), title=(el.get("title") or "").strip(),
            filename=unquote(urlsplit(link.url).path.rsplit("/", 1)[-1]), caption=caption(el),
            declared=declared_size(el, rules), gi_id=gi_id, box=box,
            page_shot=render.screenshot if render else None,
            evidence_dir=(render.extra.get("evidence_dir") if render else None),
            approval=None, homepage=page.is_homepage,
        ))
    if any(ctx.map_hint for ctx in out):
        # the page's text is read only for maps (the approval number is judged for them alone): reading
        # it on every page with an image cost ~1 ms a page
        approval = has_approval(visible_text(page.tree))
        for ctx in out:
            ctx.approval = approval
    return out


def visible_text(tree: HtmlElement) -> str:
    """Text a reader sees (script and style bodies left out)."""
    parts = []
    for el in tree.iter():
        if el.text and isinstance(el.tag, str) and el.tag not in ("script", "style", "noscript"):
            parts.append(el.text)
        if el.tail:
            parts.append(el.tail)
    return " ".join(parts)
