"""Attachments of every format, built for real, with true positives and decoys; bombs and broken files."""

from __future__ import annotations

import logging

import pytest

from govinspect.config import project_settings
from inspectors.leaks import LeakInspector
from inspectors.sensitive import LEAK_CARD, LEAK_ID, LEAK_MARK, LEAK_PHONE
from inspectors.sensitive.extract import Limits, UnsafeFile, extract, open_zip
from tests.inspectors import files
from tests.inspectors.helpers import CARD_A, ID_A, ID_B, ID_C, make_attachment, make_inspector, make_page

RAW = (ID_A, ID_B, ID_C, CARD_A)


def observations(body: bytes, name: str, **settings) -> dict:
    inspector = make_inspector(LeakInspector, **settings)
    found = list(inspector.inspect_attachment(make_attachment(body, name)))
    return {o.rule: o for o in found}


def assert_masked(obs: dict) -> None:
    for o in obs.values():
        blob = repr(o.evidence) + o.message
        for raw in RAW:
            assert raw not in blob
            assert " ".join(raw[i:i + 4] for i in range(0, len(raw), 4)) not in blob


def test_xlsx_roster():
    obs = observations(files.xlsx(), "dibao.xlsx")
    assert set(obs) == {LEAK_ID, LEAK_PHONE, LEAK_CARD}
    ids = obs[LEAK_ID].evidence
    assert ids["distinct"] == 3  # the masked fourth row is not counted
    assert ids["samples"][0] == {"value": ID_A[:6] + "********" + ID_A[-4:], "where": "低保名单!C2"}
    assert obs[LEAK_CARD].evidence["samples"] == [{"value": CARD_A[:3] + "*" * 12 + CARD_A[-4:],
                                                   "where": "低保名单!E2"}]
    assert obs[LEAK_PHONE].evidence["distinct"] == 3
    assert obs[LEAK_ID].target_url.endswith("dibao.xlsx")
    assert obs[LEAK_ID].page_url.endswith("/tzgg/1.html")
    assert_masked(obs)


def test_xlsx_openpyxl_reader_agrees():
    fast = observations(files.xlsx(), "a.xlsx")
    slow = observations(files.xlsx(), "a.xlsx", LEAK_XLSX_READER="openpyxl")
    assert {k: v.evidence for k, v in fast.items()} == {k: v.evidence for k, v in slow.items()}


def test_xlsx_shared_strings_written_by_excel_style_writer():
    """Excel writes text as shared strings (openpyxl writes inline strings): both are read."""
    import io
    import zipfile

    src = zipfile.ZipFile(io.BytesIO(files.xlsx()))
    sheet = src.read("xl/worksheets/sheet1.xml").decode()
    import re

    strings: list[str] = []

    def to_shared(m: re.Match) -> str:
        strings.append(m.group(2))
        return f'<c r="{m.group(1)}" t="s"><v>{len(strings) - 1}</v></c>'

    sheet = re.sub(r'<c r="([A-Z]+\d+)"[^>]*t="inlineStr"[^>]*><is><t>([^<]*)</t></is></c>', to_shared, sheet)
    sst = "".join(f"<si><t>{s}</t></si>" for s in strings)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = sheet.encode()
            dst.writestr(item.filename, data)
        dst.writestr("xl/sharedStrings.xml", '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/'
                     f'main">{sst}</sst>')
    assert strings, "the fixture must really use shared strings"
    obs = observations(out.getvalue(), "shared.xlsx")
    assert obs[LEAK_ID].evidence["samples"][0]["where"] == "低保名单!C2"
    assert obs[LEAK_ID].evidence["distinct"] == 3


def test_xls_roster():
    obs = observations(files.xls(), "mingdan.xls")
    assert set(obs) == {LEAK_ID, LEAK_PHONE, LEAK_CARD}
    assert obs[LEAK_ID].evidence["samples"][0]["where"] == "名单!C2"
    assert_masked(obs)


def test_docx_table_and_header_marking():
    obs = observations(files.docx(), "tongzhi.docx")
    assert set(obs) == {LEAK_ID, LEAK_PHONE, LEAK_MARK}
    assert obs[LEAK_MARK].evidence["samples"][0] == {"value": "秘密★1年", "where": "页眉页脚"}
    assert obs[LEAK_ID].evidence["samples"][0]["where"] == "表1第2行第2列"
    assert_masked(obs)


@pytest.mark.skipif(not files.has_cjk_font(), reason="no CJK font to embed")
def test_pdf_with_chinese_text():
    lines = [f"{n} {name} 身份证号 {ident} 手机 {p}" for n, name, ident, p in
             zip([1, 2, 3], ["王芳", "李强", "张伟"], [ID_A, ID_B, ID_C], ["13812345678", "13923456789",
                                                                    "15034567890"], strict=True)]
    lines.append("机密★5年")
    body = files.pdf(lines)
    # Chinese really comes back out of the PDF (the extractor, not just the digits).
    text = "".join(c.text for c in extract(body, "pdf", Limits.from_settings(project_settings())))
    assert "危房改造资金发放名单" in text and "王芳" in text
    obs = observations(body, "mingdan.pdf")
    assert set(obs) == {LEAK_ID, LEAK_PHONE, LEAK_MARK}
    assert obs[LEAK_ID].evidence["samples"][0]["where"] == "第2页"
    assert_masked(obs)


def test_csv_in_gbk():
    body = files.csv_gbk()
    with pytest.raises(UnicodeDecodeError):
        body.decode("utf-8")
    obs = observations(body, "mingdan.csv")
    assert set(obs) == {LEAK_ID, LEAK_PHONE, LEAK_CARD}
    assert obs[LEAK_ID].evidence["samples"][0]["where"] == "第2行C列"


def test_clean_files_have_no_findings():
    rows = [[1, "示例项目", "2026-10-01", "0556-1234567", "", 100.0]]
    assert observations(files.xlsx(rows), "clean.xlsx") == {}
    assert observations(files.xls(rows), "clean.xls") == {}


def test_zip_bomb_disguised_as_xlsx_is_refused(caplog):
    bomb = files.zip_bomb_as_xlsx()
    assert len(bomb) < 2 * 1024 * 1024
    with pytest.raises(UnsafeFile):
        open_zip(bomb, Limits.from_settings(project_settings()))
    with caplog.at_level(logging.WARNING):
        assert observations(bomb, "report.xlsx") == {}
    assert "zip bomb suspected" in caplog.text


def test_zip_bomb_by_ratio_under_the_size_limit(caplog):
    bomb = files.zip_bomb_as_xlsx(50 * 1024 * 1024)
    with caplog.at_level(logging.WARNING):
        assert observations(bomb, "report.xlsx") == {}
    assert "compression ratio" in caplog.text


def test_truncated_and_broken_files_are_log_lines(caplog):
    inspector = make_inspector(LeakInspector)
    good = files.xlsx()
    with caplog.at_level(logging.WARNING):
        for body, name in [(good[: len(good) // 2], "cut.xlsx"), (b"%PDF-1.7\n garbage", "bad.pdf"),
                           (b"not a spreadsheet", "fake.xls"), (files.docx()[:500], "cut.docx")]:
            assert list(inspector.inspect_attachment(make_attachment(body, name, truncated=True))) == []
    assert "cut.xlsx" in caplog.text and "broken or truncated zip" in caplog.text
    assert "bad.pdf" in caplog.text and "fake.xls" in caplog.text and "cut.docx" in caplog.text


def test_encrypted_zip_member_is_reported_not_crashed(caplog):
    import io
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("xl/worksheets/sheet1.xml", "<worksheet/>")
    data = bytearray(buf.getvalue())
    # Set the "encrypted" flag bit in the local and central headers, as a password-protected zip has.
    for sig, off in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        pos = data.find(sig)
        data[pos + off] |= 1
    with caplog.at_level(logging.WARNING):
        assert observations(bytes(data), "locked.xlsx") == {}
    assert "encrypted" in caplog.text


def test_each_attachment_scanned_once_by_url_and_content(monkeypatch):
    inspector = make_inspector(LeakInspector)
    calls = []
    real = inspector.scan_attachment
    monkeypatch.setattr(inspector, "scan_attachment", lambda a: calls.append(a.url) or real(a))
    body = files.xlsx()
    first = list(inspector.inspect_attachment(make_attachment(body, "a.xlsx")))
    again = list(inspector.inspect_attachment(make_attachment(body, "a.xlsx")))
    copy = list(inspector.inspect_attachment(make_attachment(body, "copy-of-a.xlsx")))
    assert len(calls) == 1
    assert first and again == [] and len(copy) == len(first)
    assert copy[0].target_url.endswith("copy-of-a.xlsx")
    # A new run scans again.
    list(inspector.inspect_attachment(make_attachment(body, "a.xlsx", run_id="next-run")))
    assert len(calls) == 2


def test_time_limit_stops_with_partial_results(caplog):
    with caplog.at_level(logging.WARNING):
        obs = observations(files.xlsx(), "slow.xlsx", LEAK_ATTACHMENT_MAX_SECONDS=-1)
    assert obs == {}
    assert "LEAK_ATTACHMENT_MAX_SECONDS" in caplog.text


def test_wants_attachment_by_extension_and_host():
    inspector = make_inspector(LeakInspector)
    page = make_page('<a href="/f/a.xlsx">名单</a><a href="http://files.other.com/b.xlsx">外部</a>'
                     '<a href="/f/c.zip">压缩包</a><a href="http://file.example.gov.cn/d.pdf">d</a>')
    wanted = [link.url.rsplit("/", 1)[-1] for link in page.links if inspector.wants_attachment(link, page)]
    assert wanted == ["a.xlsx", "d.pdf"]
    off = make_inspector(LeakInspector, LEAK_SCAN_ATTACHMENTS=False)
    assert not any(off.wants_attachment(link, page) for link in page.links)


def test_page_text_leaks_and_switch():
    body = ("<table><tr><th>姓名</th><th>身份证</th><th>电话</th></tr>"
            + "".join(f"<tr><td>{n}</td><td>{i}</td><td>{p}</td></tr>" for n, i, p in
                      zip(["王芳", "李强", "张伟"], [ID_A, ID_B, ID_C], ["13812345678", "13923456789", "15034567890"],
                          strict=True))
            + "</table><p>联系电话：13800001111</p><script>var x='" + ID_A + "';</script>")
    obs = {o.rule: o for o in make_inspector(LeakInspector).inspect_page(make_page(body))}
    assert set(obs) == {LEAK_ID, LEAK_PHONE}
    assert obs[LEAK_ID].target_url is None
    assert obs[LEAK_ID].evidence["distinct"] == 3
    assert obs[LEAK_ID].evidence["samples"][0]["where"] == "第2行"
    assert_masked(obs)
    clean = make_page("<p>咨询电话：13812345678，地址：示例市政务中心</p><p>341602********1234</p>")
    assert list(make_inspector(LeakInspector).inspect_page(clean)) == []
    from scrapy.exceptions import NotConfigured

    with pytest.raises(NotConfigured):
        make_inspector(LeakInspector, INSPECT_LEAKS_ENABLED=False)


def test_scan_in_a_worker_process_gives_the_same_observations():
    import asyncio
    import os

    from inspectors.sensitive import scanjob

    inspector = make_inspector(LeakInspector, LEAK_SCAN_PROCESSES=1)
    try:
        body = files.xlsx()
        pooled = asyncio.run(inspector.inspect_attachment_async(make_attachment(body, "a.xlsx")))
        inline = list(make_inspector(LeakInspector).inspect_attachment(make_attachment(body, "a.xlsx")))
        assert [(o.rule, o.evidence) for o in pooled] == [(o.rule, o.evidence) for o in inline] and pooled
        job = inspector._job(make_attachment(body, "b.xlsx"))
        assert inspector._executor().submit(scanjob.run, job).result().pid != os.getpid()
    finally:
        inspector.close()


def test_large_xlsx_located_like_a_small_one():
    """Sheets over 64 KB lose their tags by a numpy mask instead of a regex: same text, same cells."""
    rows = [[i, "王芳", "示例项目建设", "0556-1234567", "", 480.0] for i in range(3000)]
    body = files.xlsx(rows + files.ROWS)
    obs = observations(body, "big.xlsx")
    assert obs[LEAK_ID].evidence["samples"][0]["where"] == "低保名单!C3002"
    assert obs[LEAK_CARD].evidence["samples"][0]["where"] == "低保名单!E3002"
    assert obs[LEAK_ID].evidence["distinct"] == 3 and obs[LEAK_PHONE].evidence["distinct"] == 3
    assert observations(files.xlsx(rows), "clean.xlsx") == {}
    assert_masked(obs)


@pytest.mark.parametrize("xml", [
    b'<row r="1"><c r="A1" t="inlineStr"><is><t>3416</t></is></c></row>' * 2000,
    b'<row r="1"><c r="A1"><v>1</v></c>a > b</row>' * 2000,  # a '>' in text
    b'<row r="1"><c r="A1"><v>1<2</v></c></row>' * 2000 + b"<tail",  # '<' in text (not XML), unclosed '<'
])
def test_tag_stripping_is_the_regexes(xml, monkeypatch):
    from inspectors.sensitive.formats import common

    assert len(xml) >= 1 << 16
    assert common.strip_tags(xml) == common.TAG.sub(b"", xml)
    monkeypatch.setattr(common, "STRIP_PIECE_BYTES", 5000)  # big sheets: pieces cut after a '>'
    assert common.strip_tags(xml) == common.TAG.sub(b"", xml)


def test_xls_grid_text_and_cells_as_cell_by_cell():
    """calamine's grid joined per row: the same text and cell names as a chunk built cell by cell."""
    import datetime

    from inspectors.sensitive.formats.common import Deadline, grid_chunk, table_chunk

    grid = [["序号", "姓名", "身份证号"], [1, "", ID_A, 580.0], [], [2.5, "a\tb", datetime.date(2026, 1, 2), True],
            ["", "", "x\ny", 10 ** 21 * 1.0, ID_B]]
    rows = ((r, [(c, v) for c, v in enumerate(row) if v != ""]) for r, row in enumerate(grid, 1))
    cells = table_chunk("名单", rows, Deadline(10), 100, "!{col}{row}")
    joined = grid_chunk("名单", grid, Deadline(10), 100, "!{col}{row}")
    assert joined.text == cells.text
    for offset in (joined.text.index(ID_A), joined.text.index(ID_B), joined.text.index("x y"), joined.text.index("2.5")):
        assert joined.locate(offset) == cells.locate(offset)
    assert joined.locate(joined.text.index(ID_B)) == "名单!E5"
    with pytest.raises(UnsafeFile):
        grid_chunk("名单", grid, Deadline(10), 5, "!{col}{row}")
    # Grids of strings and integers only, no empty cell, are joined in one pass; a tab in a cell is not.
    for grid in ([["序号", "身份证号"], [1, ID_A], [2, ID_B]], [["序号", "身份证号"], [1, "a\tb"], [2, ID_B]]):
        rows = ((r, [(c, v) for c, v in enumerate(row) if v != ""]) for r, row in enumerate(grid, 1))
        cells = table_chunk("名单", rows, Deadline(10), 100, "!{col}{row}")
        joined = grid_chunk("名单", grid, Deadline(10), 100, "!{col}{row}")
        assert joined.text == cells.text
        assert joined.locate(joined.text.index(ID_B)) == cells.locate(cells.text.index(ID_B)) == "名单!B3"


def test_pdf_pages_read_before_the_time_limit_still_count():
    """Pages are scanned in batches: a time limit (or a broken page) mid-batch still hands over the
    pages read, as when every page was its own chunk."""
    from inspectors.sensitive.extract import TimeUp
    from inspectors.sensitive.formats import pdf

    body = files.pdf([f"{n} 王芳 身份证号 {ID_A} 手机 13812345678" for n in range(120)])

    class TwoPages:
        calls = 0

        def check(self):
            self.calls += 1
            if self.calls > 2:
                raise TimeUp()

    got = []
    with pytest.raises(TimeUp):
        for chunk in pdf.read(body, Limits.from_settings(project_settings()), TwoPages()):
            got.append(chunk)
    assert [c.labels for c in got] == [["第1页", "第2页"]] and ID_A in got[0].text
