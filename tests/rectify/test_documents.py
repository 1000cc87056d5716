"""The list documents: xlsx read back with openpyxl, HTML content, personal data masked in both."""

from __future__ import annotations

from pathlib import Path

from openpyxl import load_workbook
from PIL import Image

from govinspect.rectify.html import render_list_html
from govinspect.rectify.xlsx import HEADER_ROW, write_list_xlsx

RAW_ID = "110101199003074514"
RAW_PHONE = "13912345678"


def sample_list(tmp_path: Path) -> dict:
    shot = tmp_path / "shot.png"
    Image.new("RGB", (800, 500), (200, 30, 30)).save(shot)
    base = {"site_id": "3400000001", "site_name": "甲局网站", "first_seen": "2026-09-28T10:00:00+08:00",
            "status": "open", "referrers": [], "site_url": "http://a.example.gov.cn/"}
    return {
        "number": "整改〔2026〕第0007号", "organizer": "甲局", "issued": "2026-09-30", "deadline": "2026-10-10",
        "working_days": 3, "status": "open", "issued_by": "tester@host", "calendar_note": None,
        "entries": [
            {**base, "fingerprint": "f1", "rule": "link.broken", "severity": "high",
             "page_url": "http://a.example.gov.cn/", "target_url": "http://a.example.gov.cn/gone.html",
             "message": "链接无法访问（HTTP 404），请修正或删除该链接", "evidence": {"status": 404, "link_text": "旧栏目"},
             "screenshot": str(shot)},
            # an unmasked number reaching the writer (a bug elsewhere) is masked here too
            {**base, "fingerprint": "f2", "rule": "leak.id-number", "severity": "critical",
             "page_url": "http://a.example.gov.cn/news.html", "target_url": None,
             "message": f"页面公开了身份证号 {RAW_ID}", "evidence": {"matched": RAW_ID, "phone": RAW_PHONE},
             "screenshot": str(shot)},
            {**base, "fingerprint": "f3", "rule": "ad.commercial", "severity": "high",
             "page_url": "http://a.example.gov.cn/x.html", "target_url": None,
             "message": "=HYPERLINK(\"http://evil\")", "evidence": {}, "screenshot": None},
        ],
    }


def test_xlsx_read_back(tmp_path):
    lst = sample_list(tmp_path)
    out = write_list_xlsx(lst, tmp_path / "list.xlsx")
    wb = load_workbook(out)
    ws = wb.active
    headers = [c.value for c in ws[HEADER_ROW]]
    assert headers[:6] == ["序号", "网站名称", "问题类型", "严重程度", "问题描述", "整改要求"]
    assert "整改期限" in headers and "证据（已脱敏）" in headers
    assert ws.freeze_panes == f"A{HEADER_ROW + 1}"
    assert ws.print_title_rows == f"${HEADER_ROW}:${HEADER_ROW}"
    assert ws.page_setup.orientation == "landscape" and int(ws.page_setup.paperSize) == 9  # A4
    assert ws.column_dimensions["E"].width >= 30 and ws.column_dimensions["A"].width <= 8
    assert ws.cell(HEADER_ROW + 1, 5).alignment.wrap_text
    # the screenshot of the broken link is embedded, the leak's is not (pixels cannot be masked)
    assert len(ws._images) == 1
    anchor = ws._images[0].anchor._from
    assert (anchor.row, anchor.col) == (HEADER_ROW, 9)  # 0-based: first entry row, 截图 column
    row1 = [c.value for c in ws[HEADER_ROW + 1]]
    assert row1[0] == 1 and row1[2] == "不可用链接" and row1[11] == "2026-10-10"
    text = "\n".join(str(c.value) for row in ws.iter_rows() for c in row if c.value is not None)
    assert RAW_ID not in text and RAW_PHONE not in text
    assert "110101********4514" in text and "139****5678" in text
    # a formula-looking message stays that text: a string cell with the quote prefix, never a formula
    cell = ws.cell(HEADER_ROW + 3, 5)
    assert cell.value == '=HYPERLINK("http://evil")' and cell.data_type == "s" and cell.quotePrefix


def test_html_list(tmp_path):
    page = render_list_html(sample_list(tmp_path), issuer="某市政务公开办")
    assert "整改〔2026〕第0007号" in page and "某市政务公开办政府网站问题整改清单" in page
    assert "@media print" in page and "size: A4 landscape" in page
    assert page.count("data:image/jpeg;base64,") == 1
    assert RAW_ID not in page and RAW_PHONE not in page and "110101********4514" in page
    assert "<script" not in page and "http-equiv" not in page


def test_export_xlsx_keeps_formula_like_text_as_text(tmp_path):
    from govinspect.export import export
    from govinspect.findings import FINDING_FIELDS

    record = {f: "" for f in FINDING_FIELDS} | {
        "fingerprint": "f", "rule": "link.broken", "severity": "high", "message": '=HYPERLINK("http://e","x")',
        "evidence": {}, "occurrences": 1, "referrers": [], "page_url": "http://a/", "site_name": "-1+2"}
    export([record], "xlsx", tmp_path / "x.xlsx")
    ws = load_workbook(tmp_path / "x.xlsx").active
    msg = ws.cell(2, FINDING_FIELDS.index("message") + 1)
    assert msg.value == '=HYPERLINK("http://e","x")' and msg.data_type == "s" and msg.quotePrefix
    assert ws.cell(2, FINDING_FIELDS.index("site_name") + 1).value == "-1+2"
