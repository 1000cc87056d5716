"""Documents a homepage pulls in that hold its footer: same-site iframes and ``document.write`` scripts.

Government templates often deliver the footer (ICP, 公安备案, 网站标识码, the conac badge) in a
same-site iframe (``<iframe src="/qt_88992/xbdb/">``) or write it from a same-site script
(``copyright.js`` with ``document.write``). A visitor sees them; an inspector reading the homepage's
HTML alone would report the marks missing. The spider fetches these companions of a homepage before
inspecting it and hands their HTML to the inspectors as ``Page.companions`` (url → HTML). Scripts
are fetched only for pages not rendered (a browser already ran them); iframes always (a render's DOM
does not include frame documents).
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from scrapy.http import Response, TextResponse

from govinspect.vocabulary import Page

# Libraries never write a footer: not worth a request.
_LIBRARY = re.compile(r"jquery|bootstrap|vue|react|layui|swiper|echarts|angular|lodash|polyfill|\.min\.js$|"
                      r"analytics|baidu|cnzz|conac", re.IGNORECASE)
_WRITE = re.compile(r"document\s*\.\s*write(?:ln)?\s*\(")
_STRING = re.compile(r"""'((?:[^'\\\n]|\\.)*)'|"((?:[^"\\\n]|\\.)*)"|`((?:[^`\\]|\\.)*)`""", re.S)
_ESCAPE = re.compile(r"\\(u[0-9a-fA-F]{4}|x[0-9a-fA-F]{2}|.)", re.S)


def companion_urls(page: Page, in_scope, rendered: bool, limit: int) -> list[str]:
    """Same-site iframe documents (and, unrendered, same-site scripts) of a homepage, in page order."""
    if not page.is_homepage or limit <= 0:
        return []
    frames, scripts = [], []
    for link in page.links:
        if not in_scope(link.url) or link.url in frames or link.url in scripts:
            continue
        if link.tag in ("iframe", "frame"):
            frames.append(link.url)
        elif link.tag == "script" and not rendered and not _LIBRARY.search(urlsplit(link.url).path):
            scripts.append(link.url)
    return (frames[:3] + scripts)[:limit]


def _unescape(text: str) -> str:
    def one(m: re.Match) -> str:
        code = m.group(1)
        if code[0] in "ux" and len(code) > 1:
            return chr(int(code[1:], 16))
        return {"n": "\n", "t": "\t", "r": ""}.get(code, code)

    return _ESCAPE.sub(one, text)


def written_html(script: str) -> str:
    """What a script's ``document.write(...)`` calls write, from their string literals (no evaluation).

    Footers are written as literals (``document.write('<p>皖ICP备…号</p>')``, often concatenated
    over many calls or lines); variables are not followed.
    """
    out: list[str] = []
    for call in _WRITE.finditer(script):
        depth, pos = 1, call.end()
        while pos < len(script) and depth:
            m = _STRING.match(script, pos)
            if m:
                out.append(_unescape(next(g for g in m.groups() if g is not None)))
                pos = m.end()
                continue
            depth += {"(": 1, ")": -1}.get(script[pos], 0)
            pos += 1
    return "".join(out)


def companion_html(response: Response) -> str:
    """The HTML a companion contributes: the frame document, or what the script writes."""
    if isinstance(response, TextResponse):
        text = response.text
    else:
        text = response.body.decode("utf-8", "replace")
    content_type = (response.headers.get(b"Content-Type") or b"").decode("latin-1").lower()
    if "javascript" in content_type or "ecmascript" in content_type or urlsplit(response.url).path.endswith(".js"):
        return written_html(text)
    return text
