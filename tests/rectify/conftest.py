"""A store with findings and lists from a real crawl of the small two-unit cluster (module-scoped)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.rectify.helpers import crawl, json_lines, pages, rectify, registry
from tests.support.server import RouteServer


@dataclass
class Issued:
    store: Path
    out: Path
    lists: dict[str, dict]


@pytest.fixture(scope="module")
def issued(tmp_path_factory) -> Issued:
    tmp = tmp_path_factory.mktemp("issued")
    store = tmp / "s.sqlite3"
    with RouteServer(pages()) as srv:
        reg = registry(tmp, srv)
        crawl(tmp, reg, store, "r1")
    result = rectify(store, "issue", "--date", "2026-09-30", "--out", str(tmp / "lists"), reg=reg)
    assert result.returncode == 0, result.stderr
    return Issued(store, tmp / "lists", {d["organizer"]: d for d in json_lines(result.stdout)})
