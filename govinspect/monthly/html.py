"""The monthly report as one self-contained HTML file: summary paragraph, key figures, SVG charts, tables."""

from __future__ import annotations

from html import escape
from typing import Any

from govinspect.monthly.charts import SEVERITY_COLOURS, bar_chart, trend_chart
from govinspect.rectify.texts import SEVERITY_ZH, neutral, rule_name

CSS = """
body { font-family: "WenQuanYi Zen Hei", "Microsoft YaHei", "SimSun", sans-serif; margin: 28px auto; max-width: 980px;
       color: #222; line-height: 1.6; }
h1 { text-align: center; font-size: 24px; margin-bottom: 4px; }
.sub { text-align: center; color: #555; margin-top: 0; }
.summary { background: #f3f6fa; border-left: 4px solid #2f6db5; padding: 10px 14px; font-size: 15px; }
.kpis { display: grid; grid-template-columns: repeat(4, 1fr); gap: 10px; margin: 16px 0; }
.kpi { border: 1px solid #ccd; border-radius: 4px; padding: 8px; text-align: center; }
.kpi b { display: block; font-size: 24px; color: #2f6db5; }
.kpi.bad b { color: #b00020; }
h2 { font-size: 18px; border-bottom: 2px solid #2f6db5; padding-bottom: 2px; margin-top: 26px; }
.chart svg { width: 100%; max-width: 860px; height: auto; }
.charts { display: grid; grid-template-columns: 1fr 1fr; gap: 8px 16px; align-items: start; }
.charts .wide { grid-column: 1 / -1; }
table { border-collapse: collapse; width: 100%; font-size: 13px; }
th, td { border: 1px solid #aab; padding: 3px 6px; text-align: left; vertical-align: top; }
th { background: #dde6f0; }
td.num { text-align: right; }
td.url { word-break: break-all; }
.muted { color: #777; font-size: 13px; }
@page { size: A4 portrait; margin: 14mm; }
@media print {
  body { margin: 0; max-width: none; }
  .chart, tr, .kpis { break-inside: avoid; }
  h2 { break-after: avoid; }
}
"""


def _t(value: Any) -> str:
    return escape(str(neutral(value) if value is not None else ""))


def summary_text(data: dict[str, Any], unit: str | None) -> str:
    year, month = data["month"].split("-")
    who = f"{unit}所属网站" if unit else "全市政府网站群"
    crit = data["by_severity"].get("critical", 0)
    lists = data["lists"]
    parts = [
        f"{year}年{int(month)}月，{who}共监测网站{data['sites']}个。本月共发现问题{data['findings']}个，"
        f"其中严重问题{crit}个；新发现问题{data['new']}个，已整改{data['fixed']}个，"
        f"月末仍有{data['open_at_end']}个问题未整改（其中严重问题{data['critical_open_at_end']}个）。",
        f"本月下发整改清单{lists['issued']}份，销号{lists['closed']}份，"
        + (f"逾期未整改{lists['overdue']}份，请相关单位抓紧整改。" if lists["overdue"] else "无逾期未整改清单。"),
    ]
    if data.get("availability"):
        a = data["availability"]
        parts.append(f"首页可用率{a['rate'] * 100:.1f}%（共探测{a['probes']}次，成功{a['ok']}次）。")
    trend = data["trend"]
    if len(trend) >= 2:
        delta = trend[-1]["open_at_end"] - trend[-2]["open_at_end"]
        if delta > 0:
            parts.append(f"未整改问题较上月增加{delta}个。")
        elif delta < 0:
            parts.append(f"未整改问题较上月减少{-delta}个。")
        else:
            parts.append("未整改问题数与上月持平。")
    return "".join(parts)


def render_report(data: dict[str, Any], unit: str | None, issuer: str = "") -> str:
    year, month = data["month"].split("-")
    title = f"{unit + ' ' if unit else ''}政府网站监测报告（{year}年{int(month)}月）"
    charts = []
    if data["by_rule"]:
        labels = [rule_name(r) for r in data["by_rule"]]
        charts.append(("wide", bar_chart(labels, list(data["by_rule"].values()), "问题类型分布")))
    sev_labels = [SEVERITY_ZH[s] for s in data["by_severity"]]
    charts.append(("", bar_chart(sev_labels, list(data["by_severity"].values()), "问题严重程度",
                                 [SEVERITY_COLOURS[s] for s in sev_labels], horizontal=False)))
    months = [t["month"] for t in data["trend"]]
    charts.append(("", trend_chart(months, {
        "新发现": [t["new"] for t in data["trend"]], "已整改": [t["fixed"] for t in data["trend"]],
        "月末未整改": [t["open_at_end"] for t in data["trend"]],
        "其中严重": [t["critical_open_at_end"] for t in data["trend"]],
    }, f"近{len(months)}个月趋势")))
    avail_html = ""
    if data.get("availability"):
        sites = data["availability"]["sites"]
        names = [v.get("site_name", sid) for sid, v in sites.items()]
        avail_chart = bar_chart(names, [round(v["rate"] * 100) for v in sites.values()], "首页可用率（%）")
        avail_html = f'<h2>网站可用性</h2><div class="chart">{avail_chart}</div>'
    lists = data["lists"]
    kpis = [("监测网站", data["sites"], False), ("本月发现问题", data["findings"], False),
            ("严重问题", data["by_severity"].get("critical", 0), True), ("新发现", data["new"], False),
            ("已整改", data["fixed"], False), ("月末未整改", data["open_at_end"], True),
            ("下发整改清单", lists["issued"], False), ("逾期清单", lists["overdue"], True)]
    kpi_html = "".join(f'<div class="kpi{" bad" if bad and n else ""}"><b>{int(n)}</b>{_t(label)}</div>'
                       for label, n, bad in kpis)
    units_html = ""
    if data.get("units"):
        rows = "".join(
            f"<tr><td>{_t(u['organizer'])}</td><td class=num>{u['new']}</td><td class=num>{u['fixed']}</td>"
            f"<td class=num>{u['open_at_end']}</td><td class=num>{u['critical_open_at_end']}</td>"
            f"<td class=num>{u['lists_issued']}</td><td class=num>{u['lists_closed']}</td>"
            f"<td class=num>{u['lists_overdue']}</td></tr>" for u in data["units"])
        units_html = ("<h2>各单位情况</h2><table><thead><tr><th>单位</th><th>新发现</th><th>已整改</th>"
                      "<th>月末未整改</th><th>其中严重</th><th>下发清单</th><th>销号</th><th>逾期</th></tr></thead>"
                      f"<tbody>{rows}</tbody></table>")
    crit_rows = "".join(
        f"<tr><td>{_t(p['site_name'])}</td><td>{_t(rule_name(p['rule']))}</td><td>{_t(p['message'])}</td>"
        f"<td class=url>{_t(p['page_url'])}</td><td>{_t(p['first_seen'])}</td></tr>" for p in data["critical_open"])
    more = data["critical_open_total"] - len(data["critical_open"])
    crit_html = ("<h2>未整改的严重问题</h2>" + (
        "<table><thead><tr><th>网站</th><th>问题类型</th><th>问题描述</th><th>页面</th><th>首次发现</th></tr></thead>"
        f"<tbody>{crit_rows}</tbody></table>" if crit_rows else '<p class="muted">无。</p>')
        + (f'<p class="muted">另有{more}个，见整改清单。</p>' if more > 0 else ""))
    return f"""<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>{_t(title)}</title><style>{CSS}</style></head>
<body>
<h1>{_t(title)}</h1>
<p class="sub">{_t(issuer + ' ' if issuer else '')}监测时段：{year}年{int(month)}月</p>
<p class="summary">{_t(summary_text(data, unit))}</p>
<div class="kpis">{kpi_html}</div>
<h2>问题统计</h2>
<div class="charts">{''.join(f'<div class="chart {cls}">{c}</div>' for cls, c in charts)}</div>
{avail_html}
{units_html}
{crit_html}
<p class="muted">个人信息已按规定脱敏。本报告由 govinspect 生成，数据截至报告生成时。</p>
</body></html>
"""
