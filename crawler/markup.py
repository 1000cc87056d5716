"""Parse pages as browsers do where lxml (libxml2's HTML 4 parser) does not.

Server-side includes often carry their own document end: www.gov.cn's header include ends with
``…</a> --> </html> <!--end header--> <div class="content">``. libxml2 stops building the tree at
that ``</html>`` (or ``</body>``), so the content and the footer (ICP, 公安备案, 网站标识码, the conac
badge) are lost, while a browser, following the HTML5 parsing algorithm, ignores end tags of
``body``/``html`` that come before more content. We do the same: when an element starts after the
first such end tag, those end tags are dropped before parsing. Pages without one (nearly all) cost
one regex search over the text.
"""

from __future__ import annotations

import re

import lxml.html
from lxml import etree
from lxml.html import HtmlElement
from scrapy.http import TextResponse

_DOC_END = re.compile(r"</(?:html|body)\s*>", re.IGNORECASE)
_ELEMENT = re.compile(r"<[a-zA-Z]")


def needs_repair(text: str) -> bool:
    """True when a ``</html>``/``</body>`` is followed by more elements (lxml would drop them)."""
    end = _DOC_END.search(text)
    return end is not None and _ELEMENT.search(text, end.end()) is not None


def repair(text: str) -> str:
    """The page with early ``</body>``/``</html>`` end tags removed (the parser closes them at EOF)."""
    return _DOC_END.sub("", text) if needs_repair(text) else text


def page_tree(response: TextResponse) -> HtmlElement:
    """The page's lxml tree, repaired when the markup ends the document early.

    The common case reuses Scrapy's own parse (``response.selector``), so selectors and the tree agree.
    """
    text = response.text
    if not needs_repair(text):
        return response.selector.root
    # the parser parsel (Scrapy's selectors) builds, so the tree is of the same kind either way
    parser = lxml.html.HTMLParser(recover=True, encoding="utf-8", huge_tree=True)
    return etree.fromstring(repair(text).encode("utf-8"), parser=parser, base_url=response.url)
