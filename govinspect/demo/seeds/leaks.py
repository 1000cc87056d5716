"""Leaked personal data and secrecy markings: a 低保 roster xlsx, a roster in page text, an internal
docx and a classified PDF on 民政局; masked and single-contact decoys.

All numbers are synthetic but valid (GB 11643 check characters, Luhn), so the inspectors must mask them.
"""

from __future__ import annotations

from govinspect.demo.builder import ClusterBuilder
from govinspect.demo.files import make_docx, make_pdf, make_xlsx

_W = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
NAMES = ["王秀英", "李建国", "张桂兰", "刘志强", "陈玉梅", "杨德明"]


def _id(n: int) -> str:
    body = f"341602{1950 + (n * 7) % 60}{(n % 12) + 1:02d}{(n * 3) % 28 + 1:02d}{100 + n * 37 % 900:03d}"
    return body + "10X98765432"[sum(int(c) * w for c, w in zip(body, _W, strict=True)) % 11]


def _card(n: int) -> str:
    base = f"62170012{n:010d}"
    for d in "0123456789":
        digits = base + d
        total = sum((lambda x: x * 2 - 9 if x > 4 else x * 2)(int(c)) if i % 2 else int(c)
                    for i, c in enumerate(reversed(digits)))
        if total % 10 == 0:
            return digits
    raise AssertionError


def _phone(n: int) -> str:
    return f"13{5 + n % 4}{(n * 7919) % 100000000:08d}"


def apply(b: ClusterBuilder) -> None:
    site = b.site("mzj")
    if site is None or site.down:
        return
    notices = [b.article(site, "tzgg", i) for i in range(4)]
    notices = [n for n in notices if n]
    if not notices:
        return
    base = "/xxgk/files/"
    # 1. the classic case: a benefits roster with full IDs, phones and bank cards
    _, art = notices[0]
    rows = [["序号", "姓名", "身份证号码", "联系电话", "银行卡号", "保障金额"]]
    rows += [[i + 1, NAMES[i], _id(i), _phone(i), _card(i), 580] for i in range(6)]
    xlsx = b.add_file(site.host, base + "2026_dbmd.xlsx", make_xlsx("2026年城乡低保对象名单", rows))
    page = site.abs(art.path)
    b.inject(page, f'<p>附件：<a href="{base}2026_dbmd.xlsx">2026年城乡低保对象名单.xlsx</a></p>')
    for rule in ("leak.id-number", "leak.phone", "leak.bank-card"):
        b.expect(rule, site, target_url=xlsx, page_url=page, note="低保 roster attachment")
    # 2. a roster in the page text, and a single published contact number (not a leak)
    if len(notices) > 1:
        _, art = notices[1]
        table = "".join(f"<tr><td>{NAMES[i]}</td><td>{_id(i + 10)}</td><td>{_phone(i + 10)}</td></tr>"
                        for i in range(3))
        b.inject(site.abs(art.path), (
            '<table class="gs"><tr><th>姓名</th><th>身份证号</th><th>联系电话</th></tr>' + table + "</table>"
            f"<p>监督电话：{_phone(99)}</p>"
        ))
        for rule in ("leak.id-number", "leak.phone"):
            b.expect(rule, site, page_url=site.abs(art.path), note="roster in page text")
    # 3. internal and classified documents
    if len(notices) > 2:
        _, art = notices[2]
        docx = b.add_file(site.host, base + "nbtz.docx", make_docx("内部资料 注意保存", [
            "关于做好困难群众走访慰问工作的内部通知", "本文件仅供系统内部工作人员参阅。"]))
        pdf = b.add_file(site.host, base + "jmwj.pdf", make_pdf("机密★5年", ["关于某专项工作的部署意见"]))
        b.inject(site.abs(art.path), (
            f'<p>附件1：<a href="{base}nbtz.docx">内部通知.docx</a></p>'
            f'<p>附件2：<a href="{base}jmwj.pdf">部署意见.pdf</a></p>'
        ))
        b.expect("leak.classified-marking", site, target_url=docx, page_url=site.abs(art.path), note="内部资料")
        b.expect("leak.classified-marking", site, target_url=pdf, page_url=site.abs(art.path), note="机密★5年")
    # 4. decoy: a properly masked 公示 list
    if len(notices) > 3:
        _, art = notices[3]
        masked = "".join(f"<tr><td>{NAMES[i]}</td><td>{_id(i)[:6]}********{_id(i)[-4:]}</td>"
                         f"<td>{_phone(i)[:3]}****{_phone(i)[-4:]}</td></tr>" for i in range(4))
        b.inject(site.abs(art.path), f'<table class="gs">{masked}</table>')
        for rule in ("leak.id-number", "leak.phone"):
            b.expect(rule, site, page_url=site.abs(art.path), expect="no-finding", note="masked list")
