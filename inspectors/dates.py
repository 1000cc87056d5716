"""Publish dates of list items: from the text a list shows and from CMS article URLs.

Government CMSs print dates as ``2026-11-03``, ``2026/11/3``, ``2026年11月3日`` or, in compact
homepage blocks, ``[11-03]`` without a year; their article URLs carry the date too
(jcms ``/art/2026/11/3/art_12_345.html``, TRS ``/t20261103_123.html``). Text is NFKC-normalised
first, so full-width digits and punctuation (``２０２６－１１－０３``) read the same.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, timedelta

_FULL = re.compile(r"(?<!\d)((?:19|20)\d{2})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})(?!\d)")
# Year-less dates: ``11-03`` / ``11/03`` / ``11月3日``; not inside numbers, decimals (3.5%), times or
# ranges like 1-10月.
_SHORT = re.compile(r"(?<![\d.:/-])(\d{1,2})(?:[-/]|\s*月\s*)(\d{1,2})(?:\s*日)?(?![\d:/.%月-])")
_URL_PATTERNS = (
    re.compile(r"/art/((?:19|20)\d{2})/(\d{1,2})/(\d{1,2})/art_"),  # jcms
    re.compile(r"/t((?:19|20)\d{2})(\d{2})(\d{2})_\d+"),  # TRS
    re.compile(r"/((?:19|20)\d{2})-?(\d{2})-?(\d{2})/"),  # a dated folder
)
# A date printed a day after the inspection date may be a time-zone artefact; later ones are not publish dates.
FUTURE_SLACK = timedelta(days=1)


def nfkc(text: str) -> str:
    """NFKC-normalised text: full-width digits, letters and punctuation become ASCII."""
    return unicodedata.normalize("NFKC", text or "")


def _make(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _plausible(found: date | None, as_of: date) -> date | None:
    if found is None or found > as_of + FUTURE_SLACK or found.year < 1990:
        return None
    return found


def dates_in_text(text: str, as_of: date, *, short: bool = True) -> list[date]:
    """Every plausible date in ``text``, in order; year-less dates take the latest year not after ``as_of``."""
    text = nfkc(text)
    found: list[tuple[int, date]] = []
    for m in _FULL.finditer(text):
        d = _plausible(_make(int(m.group(1)), int(m.group(2)), int(m.group(3))), as_of)
        if d:
            found.append((m.start(), d))
    if short:
        stripped = _FULL.sub(lambda m: " " * len(m.group(0)), text)
        for m in _SHORT.finditer(stripped):
            month, day = int(m.group(1)), int(m.group(2))
            d = _make(as_of.year, month, day)
            if d and d > as_of + FUTURE_SLACK:
                d = _make(as_of.year - 1, month, day)
            d = _plausible(d, as_of)
            if d:
                found.append((m.start(), d))
    return [d for _, d in sorted(found, key=lambda x: x[0])]


def date_in_text(text: str, as_of: date, *, short: bool = True) -> date | None:
    """The first plausible date in ``text``."""
    found = dates_in_text(text, as_of, short=short)
    return found[0] if found else None


def is_date_label(text: str, as_of: date) -> bool:
    """True when ``text`` is nothing but a date (``[11-03]``, ``2026年11月3日``): a list's date cell."""
    text = nfkc(text).strip().strip("[]()【】（） ")
    if not text or len(text) > 16:
        return False
    return date_in_text(text, as_of) is not None and not re.search(r"[^\d\s\-/.:年月日]", text)


def date_in_url(url: str, as_of: date) -> date | None:
    """The date a CMS put into an article URL, if any."""
    for pattern in _URL_PATTERNS:
        m = pattern.search(url)
        if m:
            d = _plausible(_make(int(m.group(1)), int(m.group(2)), int(m.group(3))), as_of)
            if d:
                return d
    return None
