"""Crawler-trap protection: session ids, calendars and query-string explosions.

Session ids are stripped so the same page is one URL; calendars and endless query variants are
capped per path, so a single script-built listing cannot eat the whole page budget.
"""

from __future__ import annotations

import re
from functools import lru_cache
from urllib.parse import parse_qsl, unquote, urlsplit, urlunsplit

from govinspect.runstate import MemoryRunState, RunState

SESSION_PARAMS = frozenset(
    "jsessionid phpsessid sid sessionid session_id aspsessionid cfid cftoken sessid".split()
)
_PATH_SESSION = re.compile(r";(?:jsessionid|phpsessid|sid|sessionid)=[^/?#]*", re.IGNORECASE)
_DATE_PARAM = re.compile(r"(?:date|day|month|year|time|cal|calendar|week|rq|ny)", re.IGNORECASE)
_YEAR = re.compile(r"(?<!\d)(1[89]\d\d|2[0-9]\d\d)(?!\d)")


@lru_cache(maxsize=32768)  # every page's navigation links again: a pure function of the URL
def strip_session_ids(url: str) -> str:
    """Remove ``;jsessionid=…`` path parameters and session query arguments."""
    url = _PATH_SESSION.sub("", url)
    parts = urlsplit(url)
    if not parts.query:
        return url
    # Drop the session arguments as text: decoding and re-encoding the rest would turn GBK bytes
    # (?keyword=%D5%FE) or %FF into other bytes, and the crawl would request a URL nobody linked.
    pairs = parts.query.split("&")
    kept = [p for p in pairs if unquote(p.split("=", 1)[0]).lower() not in SESSION_PARAMS]
    if len(kept) == len(pairs):
        return url
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "&".join(kept), parts.fragment))


class TrapGuard:
    """Decides whether a URL looks like a crawler trap. Variant counts are per site and path, kept in
    the run state so every process of a run counts the same variants."""

    def __init__(self, max_query_variants: int, max_date_variants: int, max_url_length: int,  # TRAP_* settings
                 max_repeated_segments: int, year_window: tuple[int, int], state: RunState | None = None):
        self.max_query_variants = max_query_variants
        self.max_date_variants = max_date_variants
        self.max_url_length = max_url_length
        self.max_repeated_segments = max_repeated_segments
        self.year_window = year_window
        self.state = state if state is not None else MemoryRunState("traps")

    @classmethod
    def from_settings(cls, settings, as_of_year: int, state: RunState | None = None) -> TrapGuard:
        return cls(
            settings.getint("TRAP_MAX_QUERY_VARIANTS"),
            settings.getint("TRAP_MAX_DATE_VARIANTS"),
            settings.getint("TRAP_MAX_URL_LENGTH"),
            settings.getint("TRAP_MAX_REPEATED_SEGMENTS"),
            (as_of_year - settings.getint("TRAP_YEARS_BACK"), as_of_year + 2),
            state,
        )

    def is_trap(self, site_id: str, url: str) -> bool:
        if self._check(site_id, url):
            self.state.incr(site_id, "trapped")
            return True
        return False

    def _check(self, site_id: str, url: str) -> bool:
        if len(url) > self.max_url_length:
            return True
        parts = urlsplit(url)
        segments = [s for s in parts.path.split("/") if s]
        if segments and max(segments.count(s) for s in set(segments)) >= self.max_repeated_segments:
            return True
        if not parts.query:
            return False
        args = parse_qsl(parts.query, keep_blank_values=True)
        date_like = any(_DATE_PARAM.search(k) for k, _ in args)
        for _, value in args:
            for year in _YEAR.findall(value):
                if not self.year_window[0] <= int(year) <= self.year_window[1]:
                    return True
        limit = self.max_date_variants if date_like else self.max_query_variants
        return not self.state.trap_variant(site_id, parts.path, parts.query, limit)
