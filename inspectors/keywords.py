"""Keyword and phrase lists kept as data files (``inspectors/data/``), extensible by the user.

Each list is a bundled file plus any files a setting names; one entry a line, ``#`` starts a comment.
Matching is on NFKC-normalised, lower-cased text, so full-width letters and case do not hide a phrase.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

DATA = Path(__file__).with_name("data")


def norm(text: str) -> str:
    """NFKC, lower case, whitespace squeezed: the form both lists and texts are compared in."""
    return " ".join(unicodedata.normalize("NFKC", text).lower().split())


@lru_cache(maxsize=64)
def _read(path: str) -> tuple[str, ...]:
    lines = []
    for raw in Path(path).read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if line and not line.startswith("#"):
            lines.append(line)
    return tuple(lines)


def load_lines(bundled: str, extra_files: Iterable[str] = ()) -> list[str]:
    """Entries of ``inspectors/data/<bundled>`` and of the extra files, normalised, without duplicates."""
    seen: dict[str, None] = {}
    for path in (str(DATA / bundled), *extra_files):
        for line in _read(str(path)):
            seen.setdefault(line, None)
    return list(seen)


def load_phrases(bundled: str, extra_files: Iterable[str] = ()) -> list[str]:
    return [norm(p) for p in load_lines(bundled, extra_files)]


def load_categories(bundled: str, extra_files: Iterable[str] = ()) -> dict[str, list[str]]:
    """``category<TAB>phrase`` files as {category: [phrase, ...]}."""
    out: dict[str, list[str]] = {}
    for line in load_lines(bundled, extra_files):
        category, sep, phrase = line.partition("\t")
        if not sep:
            category, _, phrase = line.partition(" ")
        if phrase.strip():
            out.setdefault(category.strip(), []).append(norm(phrase))
    return out


def hits(text: str, phrases: Iterable[str]) -> list[str]:
    """The phrases found in ``text`` (already normalised with :func:`norm`)."""
    return [p for p in phrases if p in text]


def host_listed(host: str, hosts: Iterable[str]) -> bool:
    """A host matches a listed host and its subdomains (``x.cnzz.com`` matches ``cnzz.com``)."""
    host = host.split(":", 1)[0].lower().rstrip(".")
    return any(host == h or host.endswith("." + h) for h in hosts)


class KeywordSet:
    """Keywords searched in one regex pass (longest first): ~3x faster than one ``in`` scan per keyword
    over a page's text. Texts are compared lower-cased; keywords come normalised from :func:`load_phrases`."""

    def __init__(self, keywords: Iterable[str]):
        self.keywords = sorted(set(keywords), key=len, reverse=True)
        self._rx = re.compile("|".join(map(re.escape, self.keywords))) if self.keywords else None

    def found(self, text: str) -> list[str]:
        """Distinct keywords in ``text`` (lower-cased by the caller), in order of appearance."""
        if self._rx is None:
            return []
        return list(dict.fromkeys(self._rx.findall(text)))

    def __bool__(self) -> bool:
        return bool(self.keywords)
