"""Item 9 of issue 11: an endless body without Content-Length is too large, not an unreachable site."""

from __future__ import annotations

import sqlite3

from tests.hostile.endless import EndlessServer
from tests.support.cli import FAST, govinspect, write_registry


def test_endless_homepage_is_too_large_not_unreachable(tmp_path):
    with EndlessServer() as srv:
        registry = write_registry(tmp_path / "r.csv", [
            {"id": "3416000001", "name": "测试", "organizer": "测试", "url": srv.url + "/"}])
        store = tmp_path / "s.sqlite3"
        result = govinspect("crawl", "--registry", str(registry), "--store", str(store), *FAST,
                            "-s", "DOWNLOAD_MAXSIZE=2000000", "-s", "RETRY_TIMES=0")
    db = sqlite3.connect(store)
    rules = [r[0] for r in db.execute("SELECT rule FROM findings")]
    assert "site.unreachable" not in rules, result.stderr[-2000:]
    assert db.execute("SELECT error FROM link_checks").fetchone() == ("too-large",)
    assert "not inspected, larger than the download limit" in result.stderr
    # not inspected: the site is not complete
    assert db.execute("SELECT completed FROM run_sites").fetchone() == (0,)
