"""A rectification list as one printable HTML page (the same content as the xlsx).

Self-contained (thumbnails inline as data URIs, no scripts, no external files) with a print
stylesheet: A4 landscape, the table header repeated on each page, rows never split.
"""

from __future__ import annotations

import base64
from html import escape
from pathlib import Path
from typing import Any

from govinspect.rectify.texts import SEVERITY_ZH, entry_status, evidence_lines, neutral, remedy, rule_name
from govinspect.rectify.thumbs import thumbnail

CSS = """
body { font-family: "WenQuanYi Zen Hei", "Microsoft YaHei", "SimSun", sans-serif; margin: 24px; color: #222; }
h1 { text-align: center; font-size: 22px; margin: 0 0 8px; }
.facts { display: flex; flex-wrap: wrap; gap: 6px 28px; margin: 0 0 12px; font-size: 14px; }
.note { color: #8a4b00; font-size: 13px; margin: 8px 0; }
table { border-collapse: collapse; width: 100%; font-size: 12px; }
th, td { border: 1px solid #999; padding: 4px 6px; vertical-align: top; text-align: left; }
th { background: #dde6f0; white-space: nowrap; }
td.url { word-break: break-all; max-width: 220px; }
td.ev { white-space: pre-wrap; min-width: 170px; max-width: 240px; word-break: break-all; }
td.msg { max-width: 280px; }
td.date { white-space: nowrap; }
.sev-critical { color: #b00020; font-weight: bold; }
.sev-high { color: #c45500; font-weight: bold; }
img.thumb { max-width: 200px; max-height: 130px; border: 1px solid #ccc; }
.sign { margin-top: 24px; font-size: 14px; display: flex; justify-content: space-between; }
@page { size: A4 landscape; margin: 12mm; }
@media print {
  body { margin: 0; }
  thead { display: table-header-group; }
  tr { page-break-inside: avoid; break-inside: avoid; }
}
"""


def _cell(value: Any) -> str:
    return escape(str(neutral(value) if value is not None else ""))


def render_list_html(lst: dict[str, Any], issuer: str = "") -> str:
    title = f"{issuer}政府网站问题整改清单" if issuer else "政府网站问题整改清单"
    rows = []
    for pos, e in enumerate(lst["entries"], start=1):
        thumb = thumbnail(e.get("screenshot"), e["rule"])
        img = (f'<img class="thumb" alt="截图" src="data:image/jpeg;base64,{base64.b64encode(thumb).decode()}">'
               if thumb else "")
        rows.append(
            "<tr>"
            f"<td>{pos}</td><td>{_cell(e['site_name'])}</td><td>{_cell(rule_name(e['rule']))}</td>"
            f"<td class=\"sev-{escape(e['severity'])}\">{_cell(SEVERITY_ZH.get(e['severity'], e['severity']))}</td>"
            f"<td class=\"msg\">{_cell(e['message'])}</td><td>{_cell(remedy(e['rule']))}</td>"
            f"<td class=\"url\">{_cell(e['page_url'])}</td><td class=\"url\">{_cell(e.get('target_url') or '')}</td>"
            f"<td class=\"ev\">{_cell(evidence_lines(e['evidence']))}</td><td>{img}</td>"
            f"<td class=\"date\">{_cell(e['first_seen'][:10])}</td><td class=\"date\">{_cell(lst['deadline'])}</td>"
            f"<td>{_cell(entry_status(e))}</td>"
            "</tr>"
        )
    heads = ["序号", "网站名称", "问题类型", "严重程度", "问题描述", "整改要求", "问题页面", "问题链接/资源",
             "证据（已脱敏）", "截图", "首次发现", "整改期限", "整改状态"]
    note = f'<p class="note">说明：{_cell(lst["calendar_note"])}</p>' if lst.get("calendar_note") else ""
    status = "已销号" if lst["status"] == "closed" else "整改中"
    return f"""<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>{_cell(lst['number'])} {_cell(title)}</title>
<style>{CSS}</style></head>
<body>
<h1>{_cell(title)}</h1>
<div class="facts"><span>编号：{_cell(lst['number'])}</span><span>责任单位：{_cell(lst['organizer'])}</span>
<span>下发日期：{_cell(lst['issued'])}</span>
<span>整改期限：{_cell(lst['deadline'])}（{int(lst['working_days'])}个工作日内）</span>
<span>问题数：{len(lst['entries'])}</span><span>状态：{status}</span></div>
<p>请于整改期限前完成下列问题的整改，并将整改情况报送监测单位复核；复核通过后予以销号。</p>
{note}
<table><thead><tr>{''.join(f'<th>{h}</th>' for h in heads)}</tr></thead>
<tbody>
{chr(10).join(rows)}
</tbody></table>
<div class="sign"><span>下发人：{_cell(lst['issued_by'])}</span><span>责任单位签收：__________</span></div>
</body></html>
"""


def write_list_html(lst: dict[str, Any], out: Path, issuer: str = "") -> Path:
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render_list_html(lst, issuer), encoding="utf-8")
    return out
