"""Sensitive-data detection: validated detectors (``detectors``), attachment text (``extract``)."""

from inspectors.sensitive.detectors import (
    LEAK_CARD,
    LEAK_ID,
    LEAK_MARK,
    LEAK_PHONE,
    Hit,
    RuleHits,
    Scanner,
    id15_valid,
    id18_valid,
    luhn_valid,
)
from inspectors.sensitive.extract import Limits, TimeUp, UnreadableFile, UnsafeFile, extract
from inspectors.sensitive.text import Chunk, html_lines, page_text

__all__ = [
    "LEAK_CARD", "LEAK_ID", "LEAK_MARK", "LEAK_PHONE", "Chunk", "Hit", "Limits", "RuleHits", "Scanner",
    "TimeUp", "UnreadableFile", "UnsafeFile", "extract", "html_lines", "id15_valid", "id18_valid",
    "luhn_valid", "page_text",
]
