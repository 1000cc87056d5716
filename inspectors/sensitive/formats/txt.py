"""Plain text: decoded (UTF-8, UTF-16, GB18030, charset-normalizer), located by line."""

from __future__ import annotations

from collections.abc import Iterator

from govinspect.formats import FORMATS
from inspectors.sensitive.formats.common import Deadline, Limits, decode_text, line_marks
from inspectors.sensitive.text import Chunk

FORMAT = FORMATS["txt"]


def read(body: bytes, limits: Limits, deadline: Deadline, **_options) -> Iterator[Chunk]:
    text = decode_text(body)
    yield Chunk("", text, *line_marks(text))
