"""Real attachment files built with the libraries people use to produce them."""

from __future__ import annotations

import io
import os
import zipfile

from tests.inspectors.helpers import CARD_A, ID_A, ID_B, ID_C, PHONES

CJK_FONT = "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"
HEADER = ["序号", "姓名", "身份证号", "联系电话", "银行卡号", "金额"]
ROWS = [
    [1, "王芳", ID_A, PHONES[0], CARD_A, 560.0],
    [2, "李强", ID_B, PHONES[1], "6222 **** **** 1234", 560.0],
    [3, "张伟", ID_C, PHONES[2], "", 480.0],
    [4, "刘洋", "341602********1234", "138****1234", "", 480.0],
]


def xlsx(rows=ROWS, header=HEADER, title="低保名单") -> bytes:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = title
    ws.append(header)
    for row in rows:
        ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def xls(rows=ROWS, header=HEADER) -> bytes:
    import xlwt

    wb = xlwt.Workbook(encoding="utf-8")
    ws = wb.add_sheet("名单")
    for c, v in enumerate(header):
        ws.write(0, c, v)
    for r, row in enumerate(rows, 1):
        for c, v in enumerate(row):
            ws.write(r, c, v)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def docx(marking: str = "秘密★1年") -> bytes:
    import docx as python_docx

    doc = python_docx.Document()
    doc.sections[0].header.paragraphs[0].text = marking
    doc.add_paragraph("关于发放城乡低保金的通知")
    doc.add_paragraph("咨询电话：0556-1234567")
    table = doc.add_table(rows=1, cols=3)
    for c, v in enumerate(["姓名", "身份证号", "手机"]):
        table.rows[0].cells[c].text = v
    for name, ident, phone in zip(["王芳", "李强", "张伟"], [ID_A, ID_B, ID_C], PHONES, strict=False):
        cells = table.add_row().cells
        cells[0].text, cells[1].text, cells[2].text = name, ident, phone
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def pdf(lines: list[str]) -> bytes:
    """A PDF with Chinese text in an embedded CJK TrueType font (fpdf2 + WenQuanYi Zen Hei)."""
    from fpdf import FPDF

    doc = FPDF()
    doc.add_font("wqy", fname=CJK_FONT)
    doc.set_font("wqy", size=11)
    doc.add_page()
    doc.cell(0, 8, "示例市危房改造资金发放名单", new_x="LMARGIN", new_y="NEXT")
    doc.add_page()
    for line in lines:
        doc.cell(0, 8, line, new_x="LMARGIN", new_y="NEXT")
    return bytes(doc.output())


def has_cjk_font() -> bool:
    return os.path.exists(CJK_FONT)


def csv_gbk() -> bytes:
    lines = [",".join(HEADER)] + [",".join(str(v) for v in row) for row in ROWS]
    return ("\r\n".join(lines) + "\r\n").encode("gbk")


def zip_bomb_as_xlsx(size: int = 300 * 1024 * 1024) -> bytes:
    """A zip named .xlsx whose one sheet inflates to ``size`` bytes of zeros (a few hundred KB packed)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        with zf.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as member:
            block = b"0" * (1024 * 1024)
            for _ in range(size // len(block)):
                member.write(block)
    return buf.getvalue()
