"""The shared format table: names from URLs, Content-Disposition (GBK, RFC 5987), media types, bytes."""

from __future__ import annotations

from crawler.links import classify
from govinspect import formats
from govinspect.vocabulary import ATTACHMENT, PAGE
from inspectors.sensitive.extract import recognise, sniff
from inspectors.sensitive.formats import READERS
from tests.inspectors import files


def test_url_names_a_format_by_extension_or_filename_argument():
    assert formats.url_format("http://a.gov.cn/files/1.XLSX").name == "xlsx"
    # 大汉 JCMS download endpoint: the type is only in the query
    jcms = "http://a.gov.cn/module/download/downfile.jsp?classid=0&filename=202611150013.xls"
    assert formats.url_format(jcms).name == "xls"
    assert classify(jcms, PAGE) == ATTACHMENT
    # decoys: a page that names an HTML file, an article id, a plain download endpoint without a name
    assert formats.url_format("http://a.gov.cn/show.jsp?name=index.html") is None
    assert classify("http://a.gov.cn/art/2026/11/3/art_1_2.html?id=5", PAGE) == PAGE
    assert classify("http://a.gov.cn/attachment.do?id=123", PAGE) == PAGE


def test_content_disposition_gbk_utf8_percent_and_rfc5987():
    gbk = "attachment; filename=" + "低保名单.xls".encode("gbk").decode("latin-1")
    assert formats.disposition_filename(gbk) == "低保名单.xls"
    utf8 = 'attachment; filename="' + "低保名单.xlsx".encode().decode("latin-1") + '"'
    assert formats.disposition_filename(utf8) == "低保名单.xlsx"
    assert formats.disposition_filename("attachment; filename=%B5%CD%B1%A3.pdf") == "低保.pdf"
    star = "attachment; filename=\"x.bin\"; filename*=UTF-8''%E5%90%8D%E5%8D%95.csv"
    assert formats.disposition_filename(star) == "名单.csv"
    assert formats.disposition_filename("attachment; filename*=GBK''%C3%FB%B5%A5.doc") == "名单.doc"
    assert formats.disposition_filename("inline") is None


def test_detect_prefers_bytes_then_names_then_type():
    xlsx = files.xlsx()
    # an xlsx behind a generic endpoint with no name at all: the bytes tell
    assert formats.detect("http://a.gov.cn/attachment.do?id=1", "application/octet-stream", None, xlsx).name == "xlsx"
    # a name that lies (.xls on OOXML bytes): the bytes win
    assert formats.detect("http://a.gov.cn/1.xls", None, None, xlsx).name == "xlsx"
    assert formats.detect("http://a.gov.cn/getFile?fileId=9", "application/pdf").name == "pdf"
    assert formats.detect("http://a.gov.cn/x", None, "attachment; filename*=UTF-8''a.csv", b"a,b\n").name == "csv"
    assert formats.detect("http://a.gov.cn/x", None, None, files.xls()).name == "xls"
    assert formats.detect("http://a.gov.cn/x", None, None, files.docx()).name == "docx"
    # decoys: a page, an image
    assert formats.detect("http://a.gov.cn/x", "text/html", None, b"<html></html>") is None
    assert formats.detect("http://a.gov.cn/x", "image/png", None, b"\x89PNG\r\n\x1a\n") is None


def test_headers_announce_a_file():
    assert formats.is_attachment_response("http://a/x.do?id=1", "application/octet-stream",
                                          "attachment; filename=a.xls")
    assert formats.is_attachment_response("http://a/getFile?fileId=1", "application/vnd.ms-excel", None)
    assert formats.is_attachment_response("http://a/f?filename=a.pdf", "application/octet-stream", None)
    assert not formats.is_attachment_response("http://a/x.do?id=1", "text/html; charset=gbk", None)
    assert not formats.is_attachment_response("http://a/x.do?id=1", "application/octet-stream", None)
    # decoys: a page offered inline under its own name, an "attachment" that is an HTML page
    assert not formats.is_attachment_response("http://a/x.do?id=1", "text/html", "inline; filename=page.html")
    assert not formats.is_attachment_response("http://a/x.do?id=1", "text/html; charset=gbk", "attachment")
    assert formats.is_attachment_response("http://a/x.do?id=1", "application/octet-stream", "attachment")


def test_every_reader_module_names_a_table_entry():
    for name, module in READERS.items():
        assert formats.FORMATS[name] is module.FORMAT
        assert callable(module.read)


def test_recognise_mismatch_and_siblings():
    assert recognise(files.xls(), "et").name == "xls"
    assert sniff(b"not a pdf at all", "pdf") == "mismatch"
    assert sniff(b"a,b,c\n1,2,3\n", "csv") == "csv"
    assert recognise(files.xlsx(), "", None, "attachment; filename=" + "名单.xls".encode("gbk").decode("latin-1")
                     ).name == "xlsx"
