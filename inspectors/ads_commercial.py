"""``ad.commercial``: ad slots and commercial promotion in the page content.

Two signals, both tied to a link (or ad frame) to a host that is neither a government host nor a
registered site, because a government site's own banners and 公益广告 use the same markup:
an element marked as an ad slot (class/id such as ``ad-slot``, ``adsbygoogle``, ``guanggao``,
``gg_``; Google's ``data-ad-client`` units always count), and a short block whose text promotes
(广告, 推广, 赞助, 招商). Long article text is never a label, so news that mentions 广告 is left alone.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache
from itertools import islice

from lxml.html import HtmlElement

from govinspect.findings import Observation
from govinspect.urls import host_key, is_government_host
from inspectors.base import Inspector, Page

# class/id tokens of ad slots; "gg" alone is not one (it is 公告 on many government sites).
AD_TOKEN = re.compile(
    r"(?:^|[-_\s])(?:ad|ads|adv|advert|advertisement|adslot|ad-?slot|ad-?box|ad-?banner|adsbygoogle|"
    r"guanggao|ggw|gg_[a-z0-9]+|gg-[a-z0-9]+|sponsor|sponsored|tuiguang)(?:$|[-_\s\d])",
    re.IGNORECASE,
)
PROMO = re.compile(r"广告|推广|赞助|招商")
# Phrases in which these words are not commercial promotion.
NOT_PROMO = re.compile(
    r"公益广告|广告法|违法广告|虚假广告|广告监管|广告管理|户外广告(?:设施|设置|管理)|推广普通话|技术推广|农技推广|"
    r"推广应用|推广使用|宣传推广|招商引资|招商局|招商银行|招商工作|招商项目|双招双引"
)


@lru_cache(maxsize=65536)
def link_host(url: str) -> str:
    """``host_key`` of an absolute link; plain hosts without ``urlsplit`` (hot: every link of every page)."""
    _, sep, rest = url.partition("://")
    netloc = rest.split("/", 1)[0].split("?", 1)[0]
    if not sep or not netloc or any(c in netloc for c in ":@[%"):
        return host_key(url)
    return netloc.lower().rstrip(".")


_GOOGLE_UNITS = "//ins[@data-ad-client or @data-ad-slot] | //*[contains(@class,'adsbygoogle')]"


def is_foreign(host: str, page: Page) -> bool:
    """Neither a government host nor one of the cluster's registered sites."""
    if not host or is_government_host(host) or host in page.site.hosts:
        return False
    return not (page.run is not None and page.run.registry.site_for_host(host) is not None)


def _tokens(el: HtmlElement) -> str:
    return f"{el.get('class') or ''} {el.get('id') or ''}"


class AdCommercialInspector(Inspector):
    enabled_setting = "INSPECT_AD_COMMERCIAL_ENABLED"

    def __init__(self, crawler):
        super().__init__(crawler)
        self.max_block = self.settings.getint("AD_COMMERCIAL_MAX_BLOCK_CHARS")

    def inspect_page(self, page: Page) -> Iterator[Observation]:
        external = [(link, link_host(link.url)) for link in page.links
                    if link.tag in ("a", "area", "iframe", "img", "script", "onclick")]
        external = [(link, host) for link, host in external if is_foreign(host, page)]
        google_units = page.tree.xpath(_GOOGLE_UNITS) if "adsbygoogle" in page.text or "data-ad-" in page.text else []
        if not external and not google_units:
            return
        reasons: list[dict] = []
        for unit in google_units[:3]:
            reasons.append({"signal": "ad-slot", "markup": _tokens(unit).strip() or unit.tag,
                            "client": unit.get("data-ad-client")})
        for link, _host in external:
            el = link.element
            if el is None:
                continue
            slot = self._slot(el)
            if slot is not None:
                reasons.append({"signal": "ad-slot", "markup": _tokens(slot).strip(), "url": link.url,
                                "text": link.text[:60]})
                continue
            label = self._promotion(el)
            if label:
                reasons.append({"signal": "promotion", "text": label, "url": link.url})
        if not reasons:
            return
        first = reasons[0]
        what = "广告位" if first["signal"] == "ad-slot" else "商业推广内容"
        yield Observation(
            rule="ad.commercial", site_id=page.site.id, page_url=page.url,
            message=f"网页含有{what}（链接到非政府网站的商业广告或推广），请删除页面上的商业广告和推广内容。",
            evidence={"count": len(reasons), "items": reasons[:5]},
        )

    def _slot(self, el: HtmlElement) -> HtmlElement | None:
        """The nearest ancestor-or-self (5 levels) marked as an ad slot, unless it holds 公益广告."""
        node, depth = el, 0
        while node is not None and depth < 6:
            match = AD_TOKEN.search(_tokens(node)) if isinstance(node.tag, str) else None
            if match:
                text = node.text_content()
                if "公益广告" in text:
                    return None
                # gg_ is also 公告 (notices) on government sites: a notice list is not an ad slot.
                if "gg" in match.group().lower() and ("公告" in text or "通知" in text):
                    return None
                return node
            node, depth = node.getparent(), depth + 1
        return None

    def _promotion(self, el: HtmlElement) -> str | None:
        """Promotion words in the link text or its short enclosing block (not in article text)."""
        node, depth = el, 0
        while node is not None and depth < 3:
            if depth and sum(1 for _ in islice(node.iter(), 41)) > 40:
                return None  # a block of many elements is a page region, not a label
            text = " ".join(node.text_content().split())
            if len(text) > self.max_block:
                return None
            cleaned = NOT_PROMO.sub("", text)
            match = PROMO.search(cleaned)
            if match:
                return text[:80]
            node, depth = node.getparent(), depth + 1
        return None
