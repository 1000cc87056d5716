"""Image context: 审图号 shapes, caption words, declared sizes from attributes and page CSS."""

from __future__ import annotations

import lxml.html
import pytest

from inspectors.images.context import declared_size, has_approval, style_rules


@pytest.mark.parametrize("text", [
    "审图号：GS(2019)1822号", "GS（2024）0650号", "GS (2023) 2767 号", "GS京(2022)0001号", "皖S(2020)12号",
    "审图号:皖S（2020）12号", "地图来源：GS（２０２４）０６５０号",
])
def test_approval_numbers(text):
    assert has_approval(f"<p>{text}</p>")


@pytest.mark.parametrize("text", ["GS2019号", "ZS(2020)12号", "审图号", "粤B(2020)1号"])
def test_not_approval_numbers(text):
    assert not has_approval(text)


def _img(html: str):
    tree = lxml.html.fromstring(f"<html><head></head><body>{html}</body></html>")
    return tree, next(tree.iter("img"))


def test_declared_size_from_attributes_inline_style_and_page_css():
    tree, img = _img('<img src="a.png" width="300" height="100">')
    assert declared_size(img, style_rules(tree)) == (300, 100)
    tree, img = _img('<img src="a.png" style="width: 200px; height:200px">')
    assert declared_size(img, style_rules(tree)) == (200, 200)
    tree, img = _img('<style>.gq{width:120px;height:120px}</style><img class="gq" src="a.png">')
    assert declared_size(img, style_rules(tree)) == (120, 120)
    tree, img = _img('<img src="a.png" width="300">')
    assert declared_size(img, style_rules(tree)) is None
    tree, img = _img('<img src="a.png" width="100%" height="50">')
    assert declared_size(img, style_rules(tree)) is None


def test_context_words():
    from inspectors.images.context import ImageContext

    def ctx(alt="", filename="", caption=""):
        return ImageContext("http://x/" + filename, "s", "http://x/", alt, "", filename, caption, None, None,
                            None, None, None, False, False)

    assert ctx(alt="中华人民共和国国旗").flag_hint
    assert ctx(filename="guohui.png").emblem_hint
    assert ctx(caption="示例市行政区划地图").map_hint
    assert ctx(filename="city_map.jpg").map_hint
    assert not ctx(alt="网站地图").map_hint
    assert not ctx(filename="sitemap.png").map_hint
    assert not ctx(filename="bitmap.png").map_hint
