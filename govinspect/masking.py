"""Masking of personal data, applied to everything the program writes (store, index, exports, logs).

Detectors (``inspectors.leaks``) mask what they report; this module is the last line of defence:
any long digit run shaped like an ID number, bank card or mobile number that reaches a writer is masked
there too, so a bug in one inspector cannot leak data through the store or a log line.
"""

from __future__ import annotations

import logging
import re
from functools import lru_cache
from typing import Any

# 18-char ID (17 digits + digit/X), 15-digit legacy ID, 16-19 digit cards (maybe grouped by 4),
# 11-digit mobiles (maybe with spaces/dashes). Bounded by non-digits so longer numbers are left alone.
# Bounded by digits only: ``sfz341602199201010017.xlsx`` and ``card6217…`` are masked too.
_ID18 = re.compile(r"(?<!\d)(\d{6})(\d{8})(\d{3}[0-9Xx])(?!\d)")
_ID15 = re.compile(r"(?<!\d)(\d{6})(\d{5})(\d{4})(?!\d)")
_CARD = re.compile(r"(?<!\d)(\d{3})((?:[ -]?\d){9,12})([ -]?\d{4})(?!\d)")
_MOBILE = re.compile(r"(?<!\d)(1[3-9]\d)([ -]?\d{4}[ -]?)(\d{4})(?!\d)")


def mask_id(value: str) -> str:
    """Keep the first 6 and last 4 characters of an ID number (``findings.md``)."""
    v = re.sub(r"\s", "", value)
    return v[:6] + "*" * (len(v) - 10) + v[-4:] if len(v) > 10 else v


def mask_digits(value: str) -> str:
    """Keep the first 3 and last 4 digits of a phone or card number (``findings.md``)."""
    digits = re.sub(r"\D", "", value)
    return digits[:3] + "*" * (len(digits) - 7) + digits[-4:] if len(digits) > 7 else digits


_TEXT_CREDENTIALS = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/\s?#@\"'<>]+@")


def mask_text(text: str) -> str:
    """Mask every ID-, card- or mobile-shaped number in free text (and credentials in URLs in it)."""
    if text and len(text) <= 200:  # link texts, titles: the same few thousand strings over and over
        return _mask_short_text(text)
    return _mask_text(text)


@lru_cache(maxsize=32768)
def _mask_short_text(text: str) -> str:
    return _mask_text(text)


def _mask_text(text: str) -> str:
    if text and "@" in text and "://" in text:
        text = _TEXT_CREDENTIALS.sub(r"\1", text)
    if not text or not _DIGIT.search(text):
        return text
    text = _ID18.sub(lambda m: mask_id(m.group(0)), text)
    text = _CARD.sub(lambda m: mask_digits(m.group(0)), text)
    text = _ID15.sub(lambda m: mask_id(m.group(0)), text)
    return _MOBILE.sub(lambda m: mask_digits(m.group(0)), text)


def mask_value(value: Any) -> Any:
    """Mask strings inside nested evidence (dicts, lists) without changing its shape."""
    if isinstance(value, str):
        return mask_text(value)
    if isinstance(value, dict):
        return {k: mask_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [mask_value(v) for v in value]
    return value


_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_DIGIT = re.compile(r"\d")  # cheap first test: most texts and URLs carry no number worth a look
# Digit runs bounded by non-digits only: numbers glued to letters (``sfz3416…``, ``card6217…``) count.
_URL_NUMBER = re.compile(r"(?<!\d)(\d{17}[0-9Xx]|\d{16,19}|1[3-9]\d{9})(?!\d)")
_USERINFO = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*://)[^/?#@]*@")


def _id18_checksum_ok(value: str) -> bool:
    if not value[:17].isdigit():
        return False
    total = sum(int(d) * w for d, w in zip(value[:17], _ID_WEIGHTS, strict=True))
    return "10X98765432"[total % 11] == value[17].upper()


def _luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch) * (2 if i % 2 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0


def strip_credentials(url: str | None) -> str | None:
    """``http://user:secret@host/`` → ``http://host/``: credentials are never written anywhere."""
    if not url or "@" not in url:
        return url
    return _USERINFO.sub(r"\1", url)


def mask_url(url: str | None) -> str | None:
    """Mask ID, bank-card and mobile numbers inside a URL (``/files/sfz3416….xlsx``, ``?tel=138…``),
    and drop credentials (``user:secret@``).

    ID and card numbers are masked only when they pass the GB 11643 check character or the Luhn check
    with a card prefix, so CMS article ids (long digit runs too) stay usable; an 11-digit run shaped
    like a mobile number (1[3-9]…) is always masked.
    """
    url = strip_credentials(url)
    if not url or not _DIGIT.search(url):
        return url
    return _mask_url_numbers(url)


def _url_number(m: re.Match) -> str:
    value = m.group(1)
    if len(value) == 18 and _id18_checksum_ok(value):
        return mask_id(value)
    if len(value) >= 16 and value.isdigit() and value[0] in "456" and (
            value[0] != "6" or value.startswith("62")) and _luhn_ok(value):
        return mask_digits(value)
    if len(value) == 11:
        return mask_digits(value)
    return value


@lru_cache(maxsize=32768)  # a run writes the same targets and pages over and over (link references)
def _mask_url_numbers(url: str) -> str:
    return _MOBILE.sub(lambda m: mask_digits(m.group(0)), _URL_NUMBER.sub(_url_number, url))


class MaskingFilter(logging.Filter):
    """A logging filter that masks personal data in every record's final message."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            msg = record.getMessage()
        except Exception:  # a broken format string is still logged, unformatted
            return True
        masked = mask_text(msg)
        if masked != msg:
            record.msg, record.args = masked, None
        return True


def install_log_masking() -> None:
    """Attach :class:`MaskingFilter` to every handler of the root logger (idempotent)."""
    root = logging.getLogger()
    for handler in root.handlers:
        if not any(isinstance(f, MaskingFilter) for f in handler.filters):
            handler.addFilter(MaskingFilter())
