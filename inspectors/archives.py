"""``archive.unlabeled``: archived pages must say "已归档" and when.

A page is archived when its path is under one of the site's registry ``archive_paths``, or under the
folder of an archive entry page: the target of a link whose (short) text names an archive (网站归档,
历史网站, 旧版网站, 归档). The decision uses only the page itself: the link that led to it
(``page.link_text``), and the archive links it carries (navigation and breadcrumbs repeat them on
archived pages), so any worker can judge any page without shared state.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator
from urllib.parse import unquote, urlsplit

from govinspect.findings import Observation
from govinspect.urls import host_key
from inspectors.base import Inspector, Page
from inspectors.sensitive.text import page_text

_DATE = r"\d{4}\s*[-年./]\s*\d{1,2}(?:\s*[-月./]\s*\d{1,2}\s*日?)?"
ARCHIVE_DATE = re.compile(
    r"(?:归档(?:时间|日期)|停止更新(?:时间|日期)?)\s*[:：]?\s*" + _DATE
    + r"|于\s*" + _DATE + r"\s*(?:起\s*)?(?:已\s*)?归档"
)
LABEL = "已归档"


def folder(path: str) -> str:
    """The folder an entry page lives in: ``/old/index.html`` → ``/old/``; ``/old/`` → ``/old/``."""
    path = unquote(path or "/")
    return path if path.endswith("/") else posixpath.dirname(path).rstrip("/") + "/"


class ArchiveInspector(Inspector):
    enabled_setting = "INSPECT_ARCHIVES_ENABLED"

    def __init__(self, crawler):
        super().__init__(crawler)
        self.words = tuple(self.settings.getlist("ARCHIVE_LINK_WORDS"))
        self.max_chars = self.settings.getint("ARCHIVE_LINK_MAX_CHARS")

    def names_archive(self, text: str | None) -> bool:
        text = "".join((text or "").split())
        return 0 < len(text) <= self.max_chars and any(w in text for w in self.words)

    def archived_by(self, page: Page) -> str | None:
        """Why this page counts as archived (for the evidence), or None."""
        path = unquote(urlsplit(page.url).path or "/")
        for prefix in page.site.archive_paths:
            if path.startswith(prefix):
                return f"registry archive_paths {prefix}"
        if self.names_archive(page.link_text) and not page.is_homepage:
            return f"archive entry page (link text {page.link_text!r})"
        host = host_key(page.url)
        for link in page.links:
            if link.tag not in ("a", "area") or not self.names_archive(link.text):
                continue
            if host_key(link.url) != host:
                continue
            base = folder(urlsplit(link.url).path)
            if base != "/" and path.startswith(base):
                return f"under archive folder {base} (link {link.text!r})"
        return None

    def inspect_page(self, page: Page) -> Iterator[Observation]:
        reason = self.archived_by(page)
        if reason is None:
            return
        text = page_text(page)
        has_label = LABEL in text
        date = ARCHIVE_DATE.search(text)
        if has_label and date:
            return
        missing = "“已归档”标注和归档日期" if not has_label and not date else (
            "“已归档”标注" if not has_label else "归档日期")
        yield Observation(
            rule="archive.unlabeled", site_id=page.site.id, page_url=page.url,
            message=f"归档页面缺少{missing}，请在页面显著位置注明“已归档”及归档时间。",
            evidence={"archived_because": reason, "has_label": has_label,
                      "archive_date": date.group() if date else None},
        )
