"""Attachments behind CMS download endpoints on 示南县 (jcms): the type is only in the ``filename=``
argument, or only in a GBK ``Content-Disposition`` header and the bytes; a download endpoint that
answers with a page is the decoy."""

from __future__ import annotations

from govinspect.demo.builder import ClusterBuilder
from govinspect.demo.files import make_xlsx
from govinspect.demo.seeds.leaks import NAMES, _card, _id, _phone


def apply(b: ClusterBuilder) -> None:
    site = b.site("county_a")
    if site is None or site.down:
        return
    found = b.article(site)
    if found is None:
        return
    _, art = found
    page = site.abs(art.path)
    header = ["序号", "姓名", "身份证号码", "联系电话", "银行卡号"]
    jcms = "/module/download/downfile.jsp"
    # 大汉 JCMS: the file name is in the query; the server says only octet-stream (and the bytes are xlsx)
    b.add_file(site.host, jcms, make_xlsx("2026年临时救助名单", [header] + [
        [i + 1, NAMES[i], _id(i + 40), _phone(i + 40), _card(i + 40)] for i in range(4)]))
    b.behave(site.host, jcms, content_type="application/octet-stream")
    # attachment.do?id=…: nothing in the URL; the name arrives as raw GBK bytes in Content-Disposition
    b.add_file(site.host, "/attachment.do", make_xlsx("2026年医疗救助名单", [header] + [
        [i + 1, NAMES[i], _id(i + 50), _phone(i + 50), _card(i + 50)] for i in range(4)]))
    name = "2026年医疗救助名单.xlsx".encode("gbk").decode("latin-1")
    b.behave(site.host, "/attachment.do", content_type="application/octet-stream",
             headers={"Content-Disposition": f"attachment; filename={name}"})
    # decoy: a download centre page behind a .do endpoint
    b.add_file(site.host, "/download.do", "<html><head><title>下载中心</title></head><body>下载中心</body></html>")
    b.behave(site.host, "/download.do", content_type="text/html; charset=utf-8")
    b.inject(page, (
        f'<p>附件：<a href="{jcms}?classid=0&amp;filename=202611150013.xls">临时救助名单</a></p>'
        '<p>附件：<a href="/attachment.do?id=123">医疗救助名单</a></p>'
        '<p><a href="/download.do?id=7">下载中心</a></p>'
    ))
    jcms_url = site.abs(f"{jcms}?classid=0&filename=202611150013.xls")
    do_url = site.abs("/attachment.do?id=123")
    for rule in ("leak.id-number", "leak.phone", "leak.bank-card"):
        b.expect(rule, site, target_url=jcms_url, page_url=page, note="JCMS downfile.jsp?filename=")
        b.expect(rule, site, target_url=do_url, page_url=page, note="attachment.do + GBK Content-Disposition")
    b.expect("leak.id-number", site, target_url=site.abs("/download.do?id=7"), page_url=page,
             expect="no-finding", note="download endpoint answering with a page")
