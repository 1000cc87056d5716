"""``security.injected-content``: content typical of defacement and 挂马.

Three signs (rules.md): a script or iframe from a host that is neither the site's, government, in the
cluster, nor on the allow list, and that the site did not use in its previous complete run; blocks of
gambling/porn spam keywords (also hidden ones, also in the title or meta keywords); a meta refresh or
script redirect to a non-government host. Each page's outside script/iframe hosts are stored per run
(``ResourceUse`` items → ``pipelines.monitor``); the comparison with the previous complete run happens
when the site is concluded. A site's first complete run has no baseline: only keywords and redirects.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from urllib.parse import urljoin

from lxml.html import HtmlElement

from govinspect.findings import Observation
from govinspect.monitoring import ResourceUse
from govinspect.registry import Site
from govinspect.urls import host_key, is_government_host, is_http_url, normalize_url
from inspectors.base import Inspector, Page, RunView
from inspectors.hidden_links import StyleIndex, hiding_reason
from inspectors.keywords import KeywordSet, hits, host_listed, load_lines, load_phrases, norm

_META_URL = re.compile(r"url\s*=\s*['\"]?\s*([^'\"\s;]+)", re.I)
_SCRIPT_REDIRECT = re.compile(
    r"(?:(?:window|document|top|self|parent)\s*\.\s*)?location(?:\s*\.\s*href)?\s*=\s*['\"]([^'\"]+)['\"]"
    r"|location\s*\.\s*(?:replace|assign)\s*\(\s*['\"]([^'\"]+)['\"]\s*\)", re.I)
_NAMED_FUNCTION = re.compile(r"function\s+[\w$]+\s*\([^)]*\)\s*\{")
_SKIP = {"script", "style", "noscript", "template", "head", "title", "meta"}


class InjectedContentInspector(Inspector):
    enabled_setting = "INSPECT_INJECTED_ENABLED"

    def __init__(self, crawler):
        super().__init__(crawler)
        s = self.settings
        self.allow = [h.lower() for h in (*load_lines("resource-allow-hosts.txt", s.getlist("INJECTED_ALLOW_FILES")),
                                          *s.getlist("INJECTED_ALLOW_HOSTS"))]
        self.keywords = KeywordSet(load_phrases("injected-keywords.txt", s.getlist("INJECTED_KEYWORD_FILES")))
        self.context = load_phrases("injected-news-context.txt", s.getlist("INJECTED_CONTEXT_FILES"))
        self.min_keywords = s.getint("INJECTED_MIN_KEYWORDS")
        self.tiny = s.getfloat("HIDDEN_LINK_TINY_PX")
        self.offscreen = s.getfloat("HIDDEN_LINK_OFFSCREEN_PX")

    def trusted(self, host: str, page_site: Site, registry) -> bool:
        return (host in page_site.hosts or is_government_host(host) or host_listed(host, self.allow)
                or (registry is not None and registry.site_for_host(host) is not None))

    def _outside(self, host: str, site: Site, registry) -> bool:
        """Redirect targets: anything but the site, government hosts and the cluster."""
        return not (host in site.hosts or is_government_host(host)
                    or (registry is not None and registry.site_for_host(host) is not None))

    # ---- pages -----------------------------------------------------------------------------------
    def inspect_page(self, page: Page) -> Iterator[Observation | ResourceUse]:
        registry = page.run.registry if page.run else None
        hosts: dict[str, tuple[str, str]] = {}
        for link in page.links:
            if link.tag in ("script", "iframe", "frame"):
                host = host_key(link.url)
                if host not in hosts and not self.trusted(host, page.site, registry):
                    hosts[host] = (normalize_url(link.url), link.tag)
        if hosts or page.is_homepage:
            yield ResourceUse(page.site.id, page.url, hosts)
        yield from self._redirects(page, registry)
        yield from self._keyword_blocks(page)

    def _redirects(self, page: Page, registry) -> Iterator[Observation]:
        found: dict[str, str] = {}
        for el in page.tree.iter("meta"):
            if (el.get("http-equiv") or "").lower() == "refresh":
                m = _META_URL.search(el.get("content") or "")
                if m:
                    found.setdefault(urljoin(page.url, m.group(1)), "meta-refresh")
        for el in page.tree.iter("script"):
            if el.get("src") or not el.text or "location" not in el.text:
                continue
            for m in _SCRIPT_REDIRECT.finditer(el.text):
                if not _in_named_function(el.text, m.start()):  # a click handler, not an automatic redirect
                    found.setdefault(urljoin(page.url, m.group(1) or m.group(2)), "script-redirect")
        for url, how in found.items():
            if not is_http_url(url) or not self._outside(host_key(url), page.site, registry):
                continue
            what = "meta refresh 自动跳转" if how == "meta-refresh" else "脚本跳转"
            yield Observation(
                rule="security.injected-content", site_id=page.site.id, page_url=page.url,
                target_url=normalize_url(url),
                message=f"页面含有跳转到非政府网站的{what}，疑似被篡改或挂马，请立即排查并清除：{url}",
                evidence={"kind": how, "host": host_key(url)},
            )

    def _keyword_blocks(self, page: Page) -> Iterator[Observation]:
        tree = page.tree
        title = norm(" ".join((tree.findtext(".//title") or "", _meta(tree, "keywords"), _meta(tree, "description"))))
        head_hits = self.keywords.found(title)
        body = tree.find(".//body") if tree.tag != "body" else tree
        body_text = body.text_content().lower() if body is not None else ""
        if not head_hits and len(self.keywords.found(body_text)) < self.min_keywords:
            return  # the common case: one regex pass over the page, no block can have enough
        block = self._spam_block(tree, body) if body is not None else None
        if block is None and (not head_hits or hits(title, self.context)):
            return
        if block is not None:
            el, found, hidden = block
            where, snippet = f"<{el.tag}>", norm(el.text_content())[:120]
        else:
            found, where, snippet, hidden = head_hits, "title/meta", title[:120], None
        evidence = {"kind": "keyword-block", "keywords": found[:10], "where": where, "snippet": snippet}
        if hidden:
            evidence["hidden"] = hidden
        yield Observation(
            rule="security.injected-content", site_id=page.site.id, page_url=page.url,
            message=f"页面含有{'隐藏的' if hidden else ''}赌博、色情等违法信息关键词（{'、'.join(found[:5])}），"
                    f"疑似被篡改或植入暗链，请立即排查并清除：{page.url}",
            evidence=evidence,
        )

    def _spam_block(self, tree: HtmlElement, body: HtmlElement) -> tuple[HtmlElement, list[str], str | None] | None:
        """The smallest block with enough spam keywords that is hidden, or visible and not news about spam."""
        blocks = []
        for el in body.iter():
            if not isinstance(el.tag, str) or el.tag.lower() in _SKIP:
                continue
            text = el.text_content().lower()
            found = sorted(self.keywords.found(text))
            if len(found) >= self.min_keywords:
                blocks.append((len(text), el, found, text))
        if not blocks:
            return None
        styles = StyleIndex(tree)
        for _, el, found, text in sorted(blocks, key=lambda b: b[0]):
            hidden = self._hidden(el, styles)
            if hidden or not hits(text, self.context):
                return el, found, hidden
        return None

    def _hidden(self, el: HtmlElement, styles: StyleIndex) -> str | None:
        node: HtmlElement | None = el
        while node is not None and isinstance(node.tag, str):
            reason = hiding_reason(styles.style(node), self.tiny, self.offscreen)
            if reason or node.get("hidden") is not None:
                return reason or "hidden"
            node = node.getparent()
        return None

    # ---- new script/iframe hosts against the previous complete run --------------------------------------
    def site_finished(self, site: Site, view: RunView) -> Iterable[Observation]:
        previous = view.previous_complete_run(site.id)
        if previous is None:
            return
        before = view.resource_hosts(site.id, previous)
        for host, use in sorted(view.resource_hosts(site.id).items()):
            if host in before or host_listed(host, self.allow):
                continue
            yield Observation(
                rule="security.injected-content", site_id=site.id, page_url=use["page_url"], target_url=use["url"],
                message=f"页面新出现来自外部站点 {host} 的{'脚本' if use['tag'] == 'script' else '内嵌框架'}，"
                        f"上次完整检查时没有，疑似被挂马，请核实来源并清除：{use['url']}",
                evidence={"kind": "new-host", "host": host, "tag": use["tag"], "previous_run": previous},
            )


def _meta(tree: HtmlElement, name: str) -> str:
    for el in tree.iter("meta"):
        if (el.get("name") or "").lower() == name:
            return el.get("content") or ""
    return ""


def _in_named_function(script: str, pos: int) -> bool:
    """Whether ``pos`` lies inside the body of a named function (``function go(){ location.href=… }``)."""
    for m in reversed(list(_NAMED_FUNCTION.finditer(script, 0, pos))):
        depth = 1
        for ch in script[m.end():pos]:
            depth += 1 if ch == "{" else -1 if ch == "}" else 0
            if depth == 0:
                break
        if depth > 0:
            return True
    return False
