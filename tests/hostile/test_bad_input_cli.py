"""The Low items of issue 11: bad registries, bad command lines and credentials in URLs give one clear
line (exit 2 for bad input), never a traceback, and never a silent wrong result."""

from __future__ import annotations

import json
import sqlite3

import pytest

from govinspect.registry import RegistryError, load_registry
from tests.support.cli import FAST, LINKS_ONLY, govinspect, write_registry
from tests.support.server import Route, RouteServer, html

HEADER = "id,name,organizer,level,url,parent,archive_paths,extra_hosts,render"


def _clean(result, code: int = 2) -> list[str]:
    assert result.returncode == code, (result.returncode, result.stderr[-2000:])
    assert "Traceback" not in result.stderr and "Error:" not in result.stderr.split(":", 1)[0], result.stderr
    return result.stderr.strip().splitlines()


def test_yaml_syntax_error_is_one_line(tmp_path):
    path = tmp_path / "r.yaml"
    path.write_text("- id: 3416000001\n  name: [unclosed\n  url: http://a/\n", encoding="utf-8")
    lines = _clean(govinspect("crawl", "--registry", str(path)))
    assert "YAML syntax error at line" in lines[-1] and "ScannerError" not in "".join(lines)


def test_every_bad_url_row_is_reported_with_its_row(tmp_path):
    path = tmp_path / "r.csv"
    path.write_text(HEADER + "\n"
                    "3416000001,甲,甲,portal,http://[::1/,,,,never\n"
                    "3416000002,乙,乙,portal,http://127.0.0.1:99999/,,,,never\n"
                    "3416000003,丙,丙,portal,http://ok.example-city.gov.cn/,,,,never\n"
                    f"3416000004,丁,丁,portal,http://a.gov.cn/{'x' * 3000},,,,never\n", encoding="utf-8")
    with pytest.raises(RegistryError) as info:
        load_registry(path)
    problems = info.value.problems
    assert [p.split(":", 1)[0] for p in problems] == ["row 2", "row 3", "row 5"], problems
    assert "malformed" in problems[0] and "characters long" in problems[2]


def test_excel_csv_with_bom_crlf_and_empty_trailing_rows_loads(tmp_path):
    path = tmp_path / "r.csv"
    body = (HEADER + "\r\n" + "3416000001,示例市人民政府,示例市政府办,portal,http://www.example-city.gov.cn/,,,,auto\r\n"
            + ",,,,,,,,\r\n" * 5)
    path.write_bytes(b"\xef\xbb\xbf" + body.encode("utf-8"))
    registry = load_registry(path)
    assert [s.id for s in registry] == ["3416000001"]


def test_directory_and_non_text_fields(tmp_path):
    with pytest.raises(RegistryError, match="is a directory"):
        load_registry(tmp_path)
    path = tmp_path / "r.yaml"
    path.write_text("- {id: '3416000001', name: [a, b], organizer: {x: 1}, level: portal, url: 'http://a.gov.cn/'}\n",
                    encoding="utf-8")
    with pytest.raises(RegistryError) as info:
        load_registry(path)
    assert info.value.problems == ["row 1: field 'name' must be text, not a list",
                                   "row 1: field 'organizer' must be text, not a dict"]


@pytest.mark.parametrize("url", ["http://127.0.0.1:99999/", "http://a:b:c/", "http://example.gov.cn/" + "x" * 100_000])
def test_inspect_bad_urls_are_one_line(tmp_path, url):
    lines = _clean(govinspect("inspect", url, "--store", str(tmp_path / "s.sqlite3"), *FAST))
    assert len(lines) <= 2 and "URL" in "".join(lines)


@pytest.mark.parametrize("value", ["0", "-5", "many"])
def test_max_pages_must_be_positive(tmp_path, value):
    lines = _clean(govinspect("crawl", "--registry", str(tmp_path / "none.csv"), "--max-pages", value))
    assert len(lines) == 1 and "--max-pages" in lines[0]


def test_summary_of_unknown_run_and_export_to_special_files(tmp_path):
    with RouteServer({"/": Route(html("ok"))}) as srv:
        registry = write_registry(tmp_path / "r.csv", [
            {"id": "3416000001", "name": "测试", "organizer": "测试", "url": srv.url + "/"}])
        store = str(tmp_path / "s.sqlite3")
        assert govinspect("crawl", "--registry", str(registry), "--store", store, *FAST, *LINKS_ONLY).returncode == 0
    lines = _clean(govinspect("summary", "--run", "nosuchrun", "--store", store))
    assert lines == ["govinspect summary: error: no run 'nosuchrun' in the store"]
    for out in ("/proc/version", str(tmp_path)):  # a read-only kernel pseudo-file; a directory
        lines = _clean(govinspect("export", "--format", "xlsx", "--out", out, "--store", store))
        assert len(lines) == 1 and out in lines[0], lines
    assert not list(tmp_path.glob(".*.tmp"))


def test_credentials_never_stored_and_no_false_unreachable(tmp_path):
    with RouteServer({"/": Route(html('<a href="/gone.html">坏</a>'))}) as srv:
        url = srv.url.replace("http://", "http://user:secret@") + "/"
        store = tmp_path / "s.sqlite3"
        result = govinspect("inspect", url, "--store", str(store), *FAST, *LINKS_ONLY)
        out = tmp_path / "f.csv"
        govinspect("export", "--format", "csv", "--out", str(out), "--store", str(store))
    assert result.returncode == 0, result.stderr[-2000:]
    rules = [json.loads(line)["rule"] for line in result.stdout.splitlines() if line.startswith("{")]
    assert rules == ["link.broken"]
    dump = "\n".join(sqlite3.connect(store).iterdump())
    assert "secret" not in dump and "secret" not in out.read_text(encoding="utf-8-sig")
    assert "secret" not in result.stdout + result.stderr


def test_inspect_urls_on_one_host_are_separate(tmp_path):
    routes = {"/a/": Route(html('<a href="/a/gone.html">坏</a>')), "/b/": Route(html('<a href="/b/dead.html">坏</a>'))}
    with RouteServer(routes) as srv:
        store = str(tmp_path / "s.sqlite3")
        first = govinspect("inspect", srv.url + "/a/", "--store", store, *FAST, *LINKS_ONLY, "-s", "MAX_PAGE_DEPTH=0")
        second = govinspect("inspect", srv.url + "/b/", "--store", store, *FAST, *LINKS_ONLY, "-s", "MAX_PAGE_DEPTH=0")
    targets = [json.loads(line)["target_url"].rsplit("/", 1)[-1] for line in second.stdout.splitlines()
               if line.startswith("{")]
    assert first.returncode == 0 and targets == ["dead.html"], second.stdout
    # sharing one site id, the second inspection marked the first URL's finding fixed
    statuses = dict(sqlite3.connect(store).execute("SELECT target_url, status FROM findings"))
    assert {u.rsplit("/", 1)[-1]: st for u, st in statuses.items()} == {"gone.html": "open", "dead.html": "open"}
