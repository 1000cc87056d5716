"""The visible lines of a page (leaks, archives, policy reposts read them) come from an XSLT pass that
must give exactly the text of the element walk it replaced (kept as ``_walked_text``)."""

from __future__ import annotations

import random

import pytest
from parsel import Selector

from inspectors.sensitive.text import _walked_text, html_lines


def _walked_lines(tree) -> str:
    text = _walked_text(tree)
    return "\n".join(" ".join(line.split()) for line in text.split("\n") if line.strip())


DOCS = [
    "<html><head><title>T</title></head><body><p>甲<b>乙</b>丙</p>丁<table><tr><td>1</td><td>2</td></tr></table></body></html>",
    "<div>a<script>x</script>tail of script<p>b</p>c<!--comment-->after comment<?pi x?>after pi</div>",
    "<p>电话：<span>139</span>1234<noscript>n</noscript>5678</p><template>t</template><select><option>o</option></select>",
    " </body></html></html><span><script>x</script></span> </body></html>&amp;<td>",  # text a parser left outside
    "<o:p>word</o:p><br>line<br/>line2<center>c</center>\u3000全角\t\t",
]


@pytest.mark.parametrize("doc", DOCS)
def test_same_lines_as_the_walk(doc):
    tree = Selector(text=doc).root
    assert html_lines(tree) == _walked_lines(tree)
    for el in tree.iter("p", "div", "span", "table"):  # a subtree: only its own text
        assert html_lines(el) == _walked_lines(el)


def test_random_markup():
    parts = ["<p>", "</p>", "<td>", "<tr>", "<script>s</script>", "<style>y</style>", "<!--c-->", "<?x?>", "t",
             " ", "\n", "<br>", "<div>", "</div>", "<span>", "</span>", "中", "<head>", "</body>", "</html>"]
    rng = random.Random(9)
    for _ in range(300):
        tree = Selector(text="".join(rng.choice(parts) for _ in range(rng.randint(1, 30)))).root
        if tree is not None:
            assert html_lines(tree) == _walked_lines(tree)


def test_lines_of_a_page():
    tree = Selector(text="<html><body><h1>标题</h1><p>正文 <b>一</b></p><table><tr><td>a</td><td>b</td></tr>"
                         "</table><script>var x=1;</script></body></html>").root
    assert html_lines(tree) == "标题\n正文 一\na b"
