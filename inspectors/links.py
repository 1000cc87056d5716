"""``link.broken``: every link a page carries is referenced here; failed targets become findings.

The page side only records references (page → target). Each target is fetched once per run by the
crawl (pages in scope) or by a HEAD/GET check; when the site's run ends, the failed targets are
joined with their referrers into one finding per target.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from govinspect.findings import LinkCheck, LinkRef, Observation, PageLinks
from govinspect.registry import Site
from govinspect.urls import normalize_url
from inspectors.base import Inspector, Page, RunView

ERROR_TEXT = {
    "dns": "域名无法解析",
    "refused": "连接被拒绝",
    "timeout": "访问超时",
    "tls": "证书或加密连接错误",
    "redirect-loop": "重定向循环",
    "too-many-redirects": "重定向次数过多",
    "connection": "连接中断",
    "malformed-url": "链接地址格式错误",
    "unsupported-scheme": "链接指向本地文件（file: 或盘符路径），访问者无法打开",
}


def describe_failure(check: LinkCheck) -> str:
    if check.status is not None and check.status >= 400:
        return f"HTTP {check.status}"
    return ERROR_TEXT.get(check.error or "", check.error or "无法访问")


class BrokenLinkInspector(Inspector):
    enabled_setting = "INSPECT_LINKS_ENABLED"

    def inspect_page(self, page: Page) -> Iterator[PageLinks]:
        refs: dict[str, LinkRef] = {}
        for link in page.links:
            target = normalize_url(link.url)
            if target not in refs:
                refs[target] = LinkRef(page.site.id, page.url, target, link.tag, link.text)
        yield PageLinks(page.site.id, page.url, list(refs.values()))

    def site_finished(self, site: Site, view: RunView) -> Iterable[Observation]:
        homepage = normalize_url(site.url)
        for check, refs in view.broken_refs(site.id):
            pages = [r.page_url for r in refs]
            severity = "critical" if homepage in (normalize_url(p) for p in pages) else None
            failure = describe_failure(check)
            first = refs[0]
            for ref in refs:
                yield Observation(
                    rule="link.broken", site_id=site.id, page_url=ref.page_url, target_url=check.target_url,
                    severity=severity,
                    message=f"链接无法访问（{failure}），请修正或删除该链接：{check.target_url}",
                    evidence={
                        "status": check.status, "error": check.error, "method": check.method,
                        "link_text": first.text, "tag": first.tag, "redirects": check.redirects,
                    },
                )
