"""Pages the demo server makes up on the fly: crawler traps that no finite file tree can hold."""

from __future__ import annotations

import hashlib
import re
from html import escape

_PAGE = (
    '<!DOCTYPE html><html><head><meta charset="utf-8"><title>{title}</title></head>'
    "<body><h1>{title}</h1>{body}</body></html>"
)
_SESSION = re.compile(r";jsessionid=([^/?#;]*)", re.I)


def render(kind: str, host: str, path: str, query: dict[str, list[str]], raw_target: str) -> bytes:
    """Body of a dynamic page; ``kind`` comes from a ``dynamic`` behaviour."""
    if kind == "calendar":
        return _calendar(path, (query.get("month") or [""])[0])
    if kind == "jsessionid":
        return _session(path, raw_target)
    return _PAGE.format(title=escape(kind), body="").encode()


def _calendar(path: str, month: str) -> bytes:
    """活动日历 for a month, linking the previous and next month without end."""
    m = re.fullmatch(r"(\d{4})-(\d{1,2})", month)
    year, mon = (int(m[1]), int(m[2])) if m and 1 <= int(m[2]) <= 12 else (2026, 11)
    prev_y, prev_m = (year - 1, 12) if mon == 1 else (year, mon - 1)
    next_y, next_m = (year + 1, 1) if mon == 12 else (year, mon + 1)
    days = "".join(f"<td>{d}</td>" for d in range(1, 29))
    body = (
        f'<p><a href="{path}?month={prev_y}-{prev_m:02d}">上一月</a> {year}年{mon}月 '
        f'<a href="{path}?month={next_y}-{next_m:02d}">下一月</a></p><table><tr>{days}</tr></table>'
    )
    return _PAGE.format(title=f"活动日历 {year}年{mon}月", body=body).encode()


def _session(path: str, raw_target: str) -> bytes:
    """网上办事 page whose links carry fresh session ids derived from the current one."""
    m = _SESSION.search(raw_target)
    current = m[1] if m else ""
    ids = [hashlib.sha1(f"{current}:{n}".encode()).hexdigest()[:32].upper() for n in (1, 2)]
    body = (
        f'<p><a href="{path};jsessionid={ids[0]}">办事指南</a> '
        f'<a href="{path};jsessionid={ids[1]}?tab=2">表格下载</a></p>'
    )
    return _PAGE.format(title="网上办事大厅", body=body).encode()
