"""Item 4 of issue 11: no unmasked ID, card or mobile number in anything the program writes.

A hostile page carries the numbers in its text (rendered in real Chromium), in link targets (query
strings, file names glued to letters) and in link texts. After a crawl the test greps the store (every
table, every text column), every export (jsonl, csv, the xlsx's XML parts), the log (stderr at DEBUG)
and checks the screenshots' pixels: the numbers are drawn in pure red, and no red may survive the
redaction boxes, while a decoy number drawn in green must stay visible.
"""

from __future__ import annotations

import sqlite3
import zipfile
from pathlib import Path

from tests.rendering.conftest import RENDER_TEST, needs_chromium
from tests.support.cli import FAST, govinspect, write_registry
from tests.support.server import Route, RouteServer, html

ID = "341602199201010017"
CARD = "6217001234567890122"
MOBILES = ("13812345678", "18655512345")
RAW = (ID, CARD, *MOBILES)
INSPECTORS = ["-s", 'INSPECTORS={"inspectors.links.BrokenLinkInspector": 100, "inspectors.leaks.LeakInspector": 300}']

RED = '<span style="color:#ff0000">{}</span>'
PAGE = html(
    '<div style="font-size:28px;line-height:40px">'
    f'<p>困难群众 张三 身份证 {RED.format(ID)}</p>'
    f'<p>银行卡 {RED.format(CARD)} 手机{RED.format(MOBILES[0])}</p>'
    f'<p>联系人手机：{RED.format(MOBILES[1][:3] + " " + MOBILES[1][3:7] + " " + MOBILES[1][7:])}</p>'
    '<p style="color:#00c000">文号 20261120 第 12345 号</p></div>'
    f'<a href="/q?tel={MOBILES[0]}">联系</a><a href="/files/{MOBILES[1]}.xlsx">名单{MOBILES[1]}</a>'
    f'<a href="/sfz{ID}.xlsx">sfz{ID}</a><a href="/card{CARD}.html">card{CARD}</a>'
)


def _red_and_green(path: Path) -> tuple[int, int]:
    from PIL import Image

    with Image.open(path) as im:
        px = list(im.convert("RGB").get_flattened_data())
        red = sum(1 for r, g, b in px if r > 180 and g < 90 and b < 90)
        green = sum(1 for r, g, b in px if g > 140 and r < 90 and b < 90)
    return red, green


@needs_chromium
def test_no_unmasked_number_in_store_exports_logs_or_screenshots(tmp_path):
    with RouteServer({"/": Route(PAGE)}) as srv:
        registry = write_registry(tmp_path / "r.csv", [
            {"id": "3416000001", "name": "测试", "organizer": "测试", "url": srv.url + "/", "render": "always"}])
        store = tmp_path / "data" / "s.sqlite3"
        result = govinspect("crawl", "--registry", str(registry), "--store", str(store), *FAST, *RENDER_TEST,
                            *INSPECTORS, "-s", "LOG_LEVEL=DEBUG", "-s", "LEAK_PHONE_MIN_DISTINCT=1")
    assert result.returncode == 0, result.stderr[-3000:]
    texts = {"log": result.stderr + result.stdout}
    db = sqlite3.connect(store)
    for (table,) in db.execute("SELECT name FROM sqlite_master WHERE type='table'"):
        texts[f"store:{table}"] = "\n".join(repr(row) for row in db.execute(f"SELECT * FROM {table}"))
    assert any(e["rule"].startswith("leak.") for e in ({"rule": r[0]} for r in db.execute("SELECT rule FROM findings")))
    assert db.execute("SELECT COUNT(*) FROM findings WHERE rule='link.broken'").fetchone()[0] == 4
    for fmt in ("jsonl", "csv", "xlsx"):
        out = tmp_path / f"f.{fmt}"
        done = govinspect("export", "--format", fmt, "--out", str(out), "--store", str(store))
        assert done.returncode == 0, done.stderr
        texts[f"log:export-{fmt}"] = done.stderr
        if fmt == "xlsx":
            with zipfile.ZipFile(out) as zf:
                texts["xlsx"] = "\n".join(zf.read(n).decode("utf-8", "replace") for n in zf.namelist())
        else:
            texts[fmt] = out.read_text(encoding="utf-8-sig")
    leaks = {where: number for where, text in texts.items() for number in RAW if number in text}
    assert leaks == {}, leaks
    assert "138****5678" in texts["store:link_checks"] and "341602********0017" in texts["jsonl"]
    # screenshots: the page capture and every evidence image made from it
    shots = sorted((store.parent / "screenshots").rglob("*.jp*g")) + sorted((store.parent / "screenshots").rglob("*.png"))
    assert shots, "no screenshot was taken"
    for shot in shots:
        red, green = _red_and_green(shot)
        assert red < 20, f"{shot.name}: {red} red pixels (unredacted numbers)"
    assert max(_red_and_green(shot)[1] for shot in shots) > 200  # the decoy number stays readable


@needs_chromium
def test_decoy_without_redaction_the_numbers_show(tmp_path):
    """The pixel check above must be able to fail: with redaction off the red numbers are there."""
    with RouteServer({"/": Route(PAGE)}) as srv:
        registry = write_registry(tmp_path / "r.csv", [
            {"id": "3416000001", "name": "测试", "organizer": "测试", "url": srv.url + "/", "render": "always"}])
        store = tmp_path / "data" / "s.sqlite3"
        result = govinspect("crawl", "--registry", str(registry), "--store", str(store), *FAST, *RENDER_TEST,
                            *INSPECTORS, "-s", "RENDER_REDACT_PII=false")
    assert result.returncode == 0, result.stderr[-3000:]
    shots = (store.parent / "screenshots" / "pages").glob("*.jpg")
    assert max(_red_and_green(shot)[0] for shot in shots) > 500


def test_masking_of_urls_and_text_glued_to_letters():
    from govinspect.masking import mask_text, mask_url

    assert mask_url(f"http://a/q?tel={MOBILES[0]}") == "http://a/q?tel=138****5678"
    assert mask_url(f"http://a/files/{MOBILES[1]}.xlsx") == "http://a/files/186****2345.xlsx"
    assert mask_url(f"http://a/sfz{ID}.xlsx") == "http://a/sfz341602********0017.xlsx"
    assert mask_url(f"http://a/card{CARD}.html") == "http://a/card621************0122.html"
    assert mask_url("http://user:secret@a/x") == "http://a/x"
    assert mask_text(f"sfz{ID} card{CARD}") == "sfz341602********0017 card621************0122"
    # decoys: article ids, dates and short numbers stay
    for fine in ("http://a/art_12_202611031234567890.html", "http://a/2026/1120/12345.html"):
        assert mask_url(fine) == fine
